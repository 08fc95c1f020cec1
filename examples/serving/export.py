"""Exports a LaplaceEntropyModel for serving and prints what a server needs.

  python examples/serving/export.py --export-dir /tmp/models/laplace/1 \\
      --shape None,16,16,8 --coding-rank 3

prints the op library to load, and the graph tensors behind each signature
(what a TensorFlow C API host feeds and fetches), then checks the SavedModel
in this process: compress, decompress, round trip equal to `quantize`.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def parse_shape(text: str) -> list[int | None]:
    return [None if size.strip() in ("None", "?", "") else int(size) for size in text.split(",")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export-dir", required=True, help="SavedModel folder (a version)")
    parser.add_argument(
        "--shape",
        type=parse_shape,
        default=[None, 16, 16, 8],
        help="bottleneck shape; None for batch dimensions",
    )
    parser.add_argument("--coding-rank", type=int, default=3)
    parser.add_argument("--l1", type=float, default=0.01)
    parser.add_argument("--run-length-code", type=int, default=-1)
    parser.add_argument("--magnitude-code", type=int, default=0)
    parser.add_argument("--use-run-length-for-non-zeros", action="store_true")
    args = parser.parse_args(argv)

    import tensorflow as tf

    import laplace_rice
    from laplace_rice import serving

    model = laplace_rice.LaplaceEntropyModel(
        coding_rank=args.coding_rank,
        l1=args.l1,
        run_length_code=args.run_length_code,
        magnitude_code=args.magnitude_code,
        use_run_length_for_non_zeros=args.use_run_length_for_non_zeros,
        bottleneck_dtype=tf.float32,
    )
    serving.export_saved_model(model, args.export_dir, bottleneck_shape=args.shape)
    print("op library:", serving.op_library_path())
    print("signatures:", json.dumps(serving.signature_names(args.export_dir), indent=2))

    # Smoke check: one example through both signatures.
    loaded = tf.saved_model.load(args.export_dir)
    shape = [2 if size is None else size for size in args.shape]
    x = np.random.default_rng(0).laplace(scale=2.0, size=shape).astype(np.float32)
    strings = loaded.signatures[serving.COMPRESS](bottleneck=tf.constant(x))[serving.STRINGS_KEY]
    decoded = loaded.signatures[serving.DECOMPRESS](strings_bytes=strings)[serving.BOTTLENECK_KEY]
    ok = np.array_equal(decoded.numpy(), model.quantize(x).numpy())
    total = sum(len(s) for s in strings.numpy().ravel())
    print(f"check: {x.size} values -> {total} bytes in {strings.shape} strings, round trip {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
