"""`python -m laplace_rice`: compress a Laplace tensor and check the round trip."""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="laplace-rice",
        description="Compress a Laplace-distributed tensor with LaplaceEntropyModel "
        "and report size, bits/element and the round trip.",
    )
    parser.add_argument("--shape", type=int, nargs="+", default=[16, 64, 64, 192])
    parser.add_argument("--coding-rank", type=int, default=3)
    parser.add_argument("--scale", type=float, default=2.0, help="Laplace scale")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from laplace_rice import LaplaceEntropyModel

    rng = np.random.default_rng(args.seed)
    x = tf.constant(rng.laplace(scale=args.scale, size=args.shape).astype(np.float32))
    model = LaplaceEntropyModel(coding_rank=args.coding_rank, bottleneck_dtype=tf.float32)

    start = time.perf_counter()
    strings = model.compress(x)
    compress_s = time.perf_counter() - start
    code_shape = args.shape[len(args.shape) - args.coding_rank :]
    start = time.perf_counter()
    decoded = model.decompress(strings, code_shape)
    decompress_s = time.perf_counter() - start

    size = int(tf.reduce_sum(tf.strings.length(strings)))
    elements = int(np.prod(args.shape))
    ok = bool(tf.reduce_all(decoded == model.quantize(x)))
    print(f"tensor        {args.shape} float32, Laplace scale {args.scale}")
    print(f"coding units  {int(np.prod(strings.shape))} (coding_rank={args.coding_rank})")
    print(f"compressed    {size:,} bytes ({8 * size / elements:.3f} bits/element)")
    print(
        f"compress      {compress_s * 1e3:.1f} ms ({elements / compress_s / 1e6:.1f} M elements/s)"
    )
    print(
        f"decompress    {decompress_s * 1e3:.1f} ms "
        f"({elements / decompress_s / 1e6:.1f} M elements/s)"
    )
    print(f"round trip    {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
