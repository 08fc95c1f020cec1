"""A Keras 3 model with a LaplaceEntropyModel on its latent, trained under
mixed precision with XLA, exported for serving.

    python examples/keras/autoencoder.py --export-dir /tmp/keras_laplace
    python -c "import numpy as np; np.save('x.npy', np.ones((2, 16), np.float32))"
    python examples/keras/serve.py /tmp/keras_laplace x.npy   # a fresh process

The model: Dense encoder -> LaplaceEntropyModel (quantize, penalty) -> Dense
decoder; loss: reconstruction MSE plus the penalty (added with add_loss).
Training: model.compile(..., jit_compile=True), so each train step is one XLA
program (the entropy model's ops build their math from TensorFlow ops when
traced for XLA), under the `mixed_float16` policy (float16 latent and
penalty; Keras scales the loss).

Export: keras.export.ExportArchive, the API under model.export(): model.export
writes only the forward pass (`serve`); the archive adds `compress` and
`decompress` next to it. The exported graphs call this library's custom ops,
so a serving process registers them (tf.load_op_library) before loading.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np
import tensorflow as tf

from laplace_rice import LaplaceEntropyModel

FEATURES = 16
LATENT = 8


class Autoencoder(keras.Model):
    def __init__(self, l1: float = 0.01, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.layers.Dense(LATENT, name="encoder")
        # float32 output: the loss is computed in float32 under mixed precision.
        self.decoder = keras.layers.Dense(FEATURES, dtype="float32", name="decoder")
        # Built here, after the policy is set: it codes the policy's compute
        # dtype (float16 under mixed_float16), which is the encoder's output.
        self.entropy_model = LaplaceEntropyModel(coding_rank=1, l1=l1)

    def call(self, x):
        latent = self.encoder(x)
        quantized, penalty = self.entropy_model(latent)
        self.add_loss(tf.reduce_mean(tf.cast(penalty, tf.float32)))
        return self.decoder(quantized)

    def compress(self, x):
        """One string per example: the quantized latent."""
        return self.entropy_model.compress(self.encoder(x))

    def decompress(self, strings):
        """The quantized latent, then the decoder's reconstruction."""
        return self.decoder(self.entropy_model.decompress(strings, [LATENT]))


def data(n: int = 256, seed: int = 0) -> np.ndarray:
    """Inputs with a low-dimensional structure an 8-wide latent can hold."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(4, FEATURES))
    return (rng.laplace(scale=2.0, size=(n, 4)) @ basis).astype(np.float32)


def train(epochs: int = 2, seed: int = 0) -> Autoencoder:
    """Trains under mixed_float16 with XLA; restores the global policy after."""
    keras.utils.set_random_seed(seed)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = Autoencoder()
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", jit_compile=True)
        x = data(seed=seed)
        model.fit(x, x, batch_size=32, epochs=epochs, verbose=0)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    return model


def export(model: Autoencoder, path: str) -> None:
    """Writes a SavedModel with `serve`, `compress` and `decompress`."""
    archive = keras.export.ExportArchive()
    archive.track(model)
    examples = tf.TensorSpec([None, FEATURES], tf.float32)
    archive.add_endpoint("serve", model.call, input_signature=[examples])
    archive.add_endpoint("compress", model.compress, input_signature=[examples])
    archive.add_endpoint(
        "decompress", model.decompress, input_signature=[tf.TensorSpec([None], tf.string)]
    )
    archive.write_out(path, verbose=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export-dir", required=True)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    model = train(args.epochs)
    export(model, args.export_dir)
    x = data(4, seed=1)
    strings = model.compress(x)
    print(
        f"exported to {args.export_dir}; compress(data(4, seed=1)) bytes:",
        [len(s) for s in strings.numpy()],
    )


if __name__ == "__main__":
    main()
