"""Serves an export of examples/keras/autoencoder.py in a fresh process.

    python examples/keras/serve.py EXPORT_DIR INPUT.npy

Registers laplace_rice's ops from the op library file (what a generic
inference service does: no `import laplace_rice.ops`, no model code), loads
the SavedModel, and prints one JSON line: the hex strings of `compress` on
INPUT (float32, [n, 16]), and whether `decompress` of those strings equals
`serve` on INPUT (both decode the same quantized latent).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import tensorflow as tf

from laplace_rice import serving  # TensorFlow-free: only the library's path


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit("usage: serve.py EXPORT_DIR INPUT.npy")
    export_dir, x = argv[0], np.load(argv[1])
    # The ops first: the graphs name LaplaceRiceEncode, LaplaceRiceQuantize, ...
    tf.load_op_library(serving.op_library_path())
    loaded = tf.saved_model.load(export_dir)
    strings = loaded.compress(tf.constant(x))
    reconstruction = loaded.decompress(strings)
    forward = loaded.serve(tf.constant(x))
    print(
        json.dumps(
            {
                "strings_hex": [s.hex() for s in strings.numpy()],
                "decompress_equals_serve": bool(np.array_equal(reconstruction, forward)),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
