"""`laplace-rice demo`: what the library is for, in one command.

Trains a small convolutional autoencoder on scikit-learn's bundled 8x8 digits
(no download), with `LaplaceEntropyModel` on the latent, once per `l1` value:
the larger `l1`, the harder the penalty pushes latents to zero and the fewer
bits they take. Then it compresses the held-out images with `compress()`, and
reports per `l1` the real bits per pixel (from the strings' lengths), the
PSNR of the reconstructions, and what the penalty estimated. It prints a
table and writes a plot of bits/pixel against PSNR with a few reconstructions.

Training runs in graph mode (`tf.function`) and is deterministic for a seed.
Needs the optional dependencies `pip install laplace_rice[demo]`
(scikit-learn, matplotlib).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import numpy as np

__all__ = ["DemoRow", "run_demo", "format_table", "DEFAULT_L1", "QUICK_L1"]

DEFAULT_L1 = (0.01, 0.03, 0.1, 0.3)
"""The `l1` values of the full demo: one trained model, one point on the plot each."""

QUICK_L1 = (0.03, 0.3)
"""The `l1` values of `--quick`."""

DEFAULT_EPOCHS = 30
QUICK_EPOCHS = 3
LATENT_CHANNELS = 4  # the latent of an 8x8 image is 4x4x4: one coding unit
LATENT_GAIN = 10.0
TEST_IMAGES = 300
BATCH_SIZE = 64
LEARNING_RATE = 3e-3


@dataclasses.dataclass(frozen=True)
class DemoRow:
    """The results for one `l1` value, on the held-out images.

    Attributes:
      l1: The penalty's weight the model was trained with.
      bits_per_pixel: Real size: 8 * total string bytes / number of pixels.
      psnr: Peak signal-to-noise ratio of the reconstructions, in dB (peak 1).
      estimate_bits_per_pixel: The penalty's estimate, `penalty / l1` per
        pixel, i.e. the sum of the latents' magnitudes (see `format_table`).
      nonzero_fraction: Fraction of quantized latents that are not zero.
      round_trip_ok: Whether `decompress(compress(y))` equals `quantize(y)`.
    """

    l1: float
    bits_per_pixel: float
    psnr: float
    estimate_bits_per_pixel: float
    nonzero_fraction: float
    round_trip_ok: bool


def _load_digits(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The digits as float32 in [0, 1], shape (n, 8, 8, 1): train, test, test labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.images))
    images = (digits.images.astype(np.float32) / 16.0)[order][..., None]
    labels = digits.target[order]
    return images[TEST_IMAGES:], images[:TEST_IMAGES], labels[:TEST_IMAGES]


def _shown(labels: np.ndarray) -> np.ndarray:
    """Indices of the first held-out image of each digit 0 to 9 (those present)."""
    return np.array([int(np.argmax(labels == d)) for d in range(10) if np.any(labels == d)])


def _build_autoencoder(tf):
    """Encoder 8x8x1 -> 4x4xC latent, decoder back to 8x8x1."""
    layers = tf.keras.layers
    encoder = tf.keras.Sequential(
        [
            tf.keras.Input((8, 8, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(LATENT_CHANNELS, 3, padding="same"),
            # The quantizer's step is 1, and fresh latents are ~0.1: without a
            # gain they all round to zero and training never leaves that state.
            layers.Rescaling(LATENT_GAIN),
        ],
        name="encoder",
    )
    decoder = tf.keras.Sequential(
        [
            tf.keras.Input((4, 4, LATENT_CHANNELS)),
            layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(1, 3, padding="same"),
        ],
        name="decoder",
    )
    return encoder, decoder


def _train(tf, l1: float, train: np.ndarray, epochs: int, seed: int, stream: TextIO):
    """Trains one autoencoder with the penalty weight `l1`; returns it and its entropy model."""
    from laplace_rice import LaplaceEntropyModel
    from laplace_rice.progress import ProgressBar

    tf.keras.utils.set_random_seed(seed)  # each l1 starts from the same weights
    encoder, decoder = _build_autoencoder(tf)
    entropy_model = LaplaceEntropyModel(coding_rank=3, l1=l1, bottleneck_dtype=tf.float32)
    optimizer = tf.keras.optimizers.Adam(LEARNING_RATE)
    variables = encoder.trainable_variables + decoder.trainable_variables

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 1], tf.float32)])
    def train_step(x):
        with tf.GradientTape() as tape:
            latent = encoder(x, training=True)
            quantized, penalty = entropy_model(latent)
            reconstruction = decoder(quantized, training=True)
            distortion = tf.reduce_mean(tf.square(x - reconstruction))
            # The penalty per pixel, so that l1 trades bits per pixel for MSE.
            rate = tf.reduce_sum(penalty) / tf.cast(tf.size(x), tf.float32)
            loss = distortion + rate
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    steps_per_epoch = -(-len(train) // BATCH_SIZE)
    bar = ProgressBar(epochs * steps_per_epoch, f"train l1={l1:<6g}", stream)
    loss = float("nan")
    for epoch in range(epochs):
        order = rng.permutation(len(train))
        for step in range(steps_per_epoch):
            batch = train[order[step * BATCH_SIZE : (step + 1) * BATCH_SIZE]]
            loss = float(train_step(tf.constant(batch)))
            bar.update(epoch * steps_per_epoch + step + 1, f"epoch {epoch + 1}/{epochs}")
    bar.close(f"epoch {epochs}/{epochs} loss {loss:.4f}")
    return encoder, decoder, entropy_model


def _evaluate(tf, encoder, decoder, entropy_model, test: np.ndarray):
    """Compresses the test images' latents; returns a `DemoRow` and the reconstructions."""
    latent = encoder(tf.constant(test), training=False)
    strings = entropy_model.compress(latent)  # one string per image
    decoded = entropy_model.decompress(strings, latent.shape[1:])
    round_trip_ok = bool(tf.reduce_all(decoded == entropy_model.quantize(latent)))
    reconstruction = np.clip(decoder(decoded, training=False).numpy(), 0.0, 1.0)
    pixels = test.size
    mse = float(np.mean(np.square(reconstruction - test)))
    row = DemoRow(
        l1=entropy_model.l1,
        bits_per_pixel=8.0 * float(np.sum(tf.strings.length(strings).numpy())) / pixels,
        psnr=float(10.0 * np.log10(1.0 / mse)) if mse > 0 else float("inf"),
        estimate_bits_per_pixel=float(np.sum(entropy_model.penalty(latent).numpy()))
        / entropy_model.l1
        / pixels,
        nonzero_fraction=float(np.mean(decoded.numpy() != 0)),
        round_trip_ok=round_trip_ok,
    )
    return row, reconstruction


def format_table(rows: Sequence[DemoRow]) -> str:
    """The demo's results as a plain-text table.

    `estimate` is `penalty / l1` per pixel: the sum of the latents' magnitudes,
    which with the default `magnitude_code=0` is the number of unary bits the
    magnitudes take; the real strings add sign bits, run lengths and padding.

    Args:
      rows: One `DemoRow` per `l1` value.

    Returns:
      The table, one line per row after a header line, no trailing newline.
    """
    lines = [
        f"{'l1':>6}  {'bits/pixel':>10}  {'PSNR dB':>7}  {'estimate':>8}  "
        f"{'real/est':>8}  {'non-zero':>8}  round trip"
    ]
    for r in rows:
        ratio = r.bits_per_pixel / r.estimate_bits_per_pixel if r.estimate_bits_per_pixel else 0
        lines.append(
            f"{r.l1:>6g}  {r.bits_per_pixel:>10.3f}  {r.psnr:>7.2f}  "
            f"{r.estimate_bits_per_pixel:>8.3f}  {ratio:>8.2f}  {r.nonzero_fraction:>8.1%}  "
            f"{'OK' if r.round_trip_ok else 'MISMATCH'}"
        )
    return "\n".join(lines)


def _plot(
    path: str, rows: Sequence[DemoRow], originals: np.ndarray, reconstructions, shown: np.ndarray
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (curve, grid) = plt.subplots(
        1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1, 1.2]}
    )
    rates = [r.bits_per_pixel for r in rows]
    psnrs = [r.psnr for r in rows]
    curve.plot(rates, psnrs, "o-", label="real size (compress)")
    curve.plot([r.estimate_bits_per_pixel for r in rows], psnrs, "s--", alpha=0.6,
               label="penalty / l1 (estimate)")  # fmt: skip
    for r in rows:
        curve.annotate(f"l1={r.l1:g}", (r.bits_per_pixel, r.psnr), textcoords="offset points",
                       xytext=(6, -4), fontsize=8)  # fmt: skip
    curve.set_xlabel("bits per pixel (held-out digits)")
    curve.set_ylabel("PSNR (dB)")
    curve.set_title("Rate vs distortion, LaplaceEntropyModel")
    curve.grid(True, alpha=0.3)
    curve.legend(loc="lower right", fontsize=8)

    # One row of originals, then one row of reconstructions per l1.
    panels = [originals[shown]] + [rec[shown] for rec in reconstructions]
    montage = np.concatenate(
        [
            np.concatenate([np.pad(img[..., 0], 1, constant_values=0.15) for img in row], axis=1)
            for row in panels
        ],  # fmt: skip
        axis=0,
    )
    grid.imshow(montage, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    grid.set_yticks([4.5 + 10 * i for i in range(len(panels))])
    grid.set_yticklabels(
        ["original"] + [f"l1={r.l1:g}\n{r.bits_per_pixel:.2f} b/px" for r in rows], fontsize=8
    )
    grid.set_xticks([])
    grid.set_title("Held-out digits and reconstructions")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def run_demo(
    quick: bool = False,
    seed: int = 0,
    output: str | None = "rate_distortion.png",
    l1_values: Sequence[float] | None = None,
    epochs: int | None = None,
    stream: TextIO | None = None,
) -> list[DemoRow]:
    """Trains, compresses, prints the table and writes the plot.

    Args:
      quick: Train `QUICK_L1` for `QUICK_EPOCHS` epochs (seconds, for tests)
        instead of `DEFAULT_L1` for `DEFAULT_EPOCHS`.
      seed: Seeds the data split, the weights and the batches.
      output: Path of the PNG to write, or `None` for no plot.
      l1_values: Overrides the `l1` values.
      epochs: Overrides the number of epochs per `l1` value.
      stream: Where the progress and the table go (default `sys.stdout`).

    Returns:
      One `DemoRow` per `l1` value, in order of `l1`.

    Raises:
      ImportError: if scikit-learn or matplotlib is missing.
    """
    stream = stream if stream is not None else sys.stdout
    _require("sklearn", "scikit-learn")
    if output is not None:
        _require("matplotlib", "matplotlib")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.keras.mixed_precision.set_global_policy("float32")
    tf.config.experimental.enable_op_determinism()
    l1_values = sorted(l1_values or (QUICK_L1 if quick else DEFAULT_L1))
    if any(not (v > 0 and np.isfinite(v)) for v in l1_values):
        raise ValueError(f"l1 values must be positive and finite, got {l1_values}")
    epochs = epochs or (QUICK_EPOCHS if quick else DEFAULT_EPOCHS)

    start = time.perf_counter()
    train, test, labels = _load_digits(seed)
    print(
        f"digits: {len(train)} training and {len(test)} held-out images of 8x8 pixels "
        f"(17 grey levels: {np.log2(17):.2f} bits/pixel uncompressed); "
        f"latent 4x4x{LATENT_CHANNELS}, {epochs} epochs per l1",
        file=stream,
    )
    rows, reconstructions = [], []
    for l1 in l1_values:
        encoder, decoder, entropy_model = _train(tf, l1, train, epochs, seed, stream)
        row, reconstruction = _evaluate(tf, encoder, decoder, entropy_model, test)
        rows.append(row)
        reconstructions.append(reconstruction)
    print("", file=stream)
    print(format_table(rows), file=stream)
    if output is not None:
        _plot(output, rows, test, reconstructions, _shown(labels))
        print(f"\nwrote {output}", file=stream)
    print(f"done in {time.perf_counter() - start:.1f} s", file=stream)
    return rows


def _require(module: str, package: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"the demo needs {package}: pip install 'laplace_rice[demo]' "
            f"(or pip install scikit-learn matplotlib)"
        )
