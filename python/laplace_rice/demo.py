"""`laplace-rice demo`: what the library is for, in one command.

Trains a small convolutional autoencoder on scikit-learn's bundled 8x8 digits
(no download), with `LaplaceEntropyModel` on the latent, once per `l1` value:
the larger `l1`, the harder the penalty pushes latents to zero and the fewer
bits they take. Then the same autoencoder once per `lambda`, trained with
`distortion + lambda * rate` instead, where `rate()` is the real code length
with a surrogate gradient. It compresses the held-out images with
`compress()`, and reports per model the real bits per pixel (from the
strings' lengths), the PSNR of the reconstructions, what the penalty
estimated and what the rate's surrogate estimated. It prints a table and
writes a plot of bits/pixel against PSNR, both curves, with a few
reconstructions.

Training runs in graph mode (`tf.function`) and is deterministic for a seed.
Needs the optional dependencies `pip install laplace_rice[demo]`
(scikit-learn, matplotlib).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TextIO

import numpy as np

__all__ = [
    "DemoRow",
    "run_demo",
    "format_table",
    "DEFAULT_L1",
    "QUICK_L1",
    "DEFAULT_LAMBDA",
    "QUICK_LAMBDA",
]

DEFAULT_L1 = (0.01, 0.03, 0.1, 0.3)
"""The `l1` values of the full demo: one trained model, one point on the plot each."""

QUICK_L1 = (0.03, 0.3)
"""The `l1` values of `--quick`."""

DEFAULT_LAMBDA = (0.005, 0.012, 0.03, 0.06)
"""The weights of the rate (bits per pixel) in the full demo's rate-trained models."""

QUICK_LAMBDA = (0.005, 0.03)
"""The rate weights of `--quick`."""

DEFAULT_EPOCHS = 30
QUICK_EPOCHS = 3
LATENT_CHANNELS = 4  # the latent of an 8x8 image is 4x4x4: one coding unit
LATENT_GAIN = 10.0
TEST_IMAGES = 300
BATCH_SIZE = 64
LEARNING_RATE = 3e-3


@dataclasses.dataclass(frozen=True)
class DemoRow:
    """The results for one trained model, on the held-out images.

    Attributes:
      l1: The entropy model's `l1`: the penalty's weight for a model trained
        with the penalty; for one trained with the rate, the (unused) default.
      bits_per_pixel: Real size: 8 * total string bytes / number of pixels.
      psnr: Peak signal-to-noise ratio of the reconstructions, in dB (peak 1).
      estimate_bits_per_pixel: The penalty's estimate, `penalty / l1` per
        pixel, i.e. the sum of the latents' magnitudes (see `format_table`).
      nonzero_fraction: Fraction of quantized latents that are not zero.
      round_trip_ok: Whether `decompress(compress(y))` equals `quantize(y)`,
        and `rate(y)` equals the strings' sizes.
      loss: "l1" (trained with `distortion + penalty`) or "rate" (with
        `distortion + weight * rate()` in bits per pixel).
      weight: `l1` for "l1", the rate's weight `lambda` for "rate".
      surrogate_bits_per_pixel: The rate surrogate's estimate per pixel (the
        function whose gradient `rate()` passes back).
    """

    l1: float
    bits_per_pixel: float
    psnr: float
    estimate_bits_per_pixel: float
    nonzero_fraction: float
    round_trip_ok: bool
    loss: str = "l1"
    weight: float = float("nan")
    surrogate_bits_per_pixel: float = float("nan")


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


def _train(
    tf, loss_kind: str, weight: float, train: np.ndarray, epochs: int, seed: int, stream: TextIO
):
    """Trains one autoencoder; returns it and its entropy model.

    `loss_kind` "l1": the loss is `distortion + penalty / pixels` with
    `l1 = weight`; "rate": `distortion + weight * rate / pixels`.
    """
    from laplace_rice import LaplaceEntropyModel
    from laplace_rice.progress import ProgressBar

    tf.keras.utils.set_random_seed(seed)  # every model starts from the same weights
    encoder, decoder = _build_autoencoder(tf)
    l1 = weight if loss_kind == "l1" else 0.01  # the rate models never use the penalty
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
            pixels = tf.cast(tf.size(x), tf.float32)
            if loss_kind == "l1":
                # The penalty per pixel, so that l1 trades bits per pixel for MSE.
                loss = distortion + tf.reduce_sum(penalty) / pixels
            else:
                # The real bits per pixel, weighted by lambda.
                loss = distortion + weight * tf.reduce_sum(entropy_model.rate(latent)) / pixels
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    steps_per_epoch = -(-len(train) // BATCH_SIZE)
    label = f"{'l1' if loss_kind == 'l1' else 'rate'}={weight:<6g}"
    bar = ProgressBar(epochs * steps_per_epoch, f"train {label}", stream)
    loss = float("nan")
    for epoch in range(epochs):
        order = rng.permutation(len(train))
        for step in range(steps_per_epoch):
            batch = train[order[step * BATCH_SIZE : (step + 1) * BATCH_SIZE]]
            loss = float(train_step(tf.constant(batch)))
            bar.update(epoch * steps_per_epoch + step + 1, f"epoch {epoch + 1}/{epochs}")
    bar.close(f"epoch {epochs}/{epochs} loss {loss:.4f}")
    return encoder, decoder, entropy_model


def _evaluate(tf, encoder, decoder, entropy_model, test: np.ndarray, loss_kind: str, weight):
    """Compresses the test images' latents; returns a `DemoRow` and the reconstructions."""
    from laplace_rice.rate import rate_surrogate

    latent = encoder(tf.constant(test), training=False)
    strings = entropy_model.compress(latent)  # one string per image
    decoded = entropy_model.decompress(strings, latent.shape[1:])
    sizes = 8 * tf.strings.length(strings).numpy()
    round_trip_ok = bool(tf.reduce_all(decoded == entropy_model.quantize(latent))) and bool(
        np.array_equal(entropy_model.rate(latent).numpy(), sizes)
    )
    surrogate = rate_surrogate(latent, 3, **entropy_model.code_params.as_kwargs())
    reconstruction = np.clip(decoder(decoded, training=False).numpy(), 0.0, 1.0)
    pixels = test.size
    mse = float(np.mean(np.square(reconstruction - test)))
    row = DemoRow(
        l1=entropy_model.l1,
        bits_per_pixel=float(np.sum(sizes)) / pixels,
        psnr=float(10.0 * np.log10(1.0 / mse)) if mse > 0 else float("inf"),
        estimate_bits_per_pixel=float(np.sum(entropy_model.penalty(latent).numpy()))
        / entropy_model.l1
        / pixels,
        nonzero_fraction=float(np.mean(decoded.numpy() != 0)),
        round_trip_ok=round_trip_ok,
        loss=loss_kind,
        weight=weight,
        surrogate_bits_per_pixel=float(np.sum(surrogate.numpy())) / pixels,
    )
    return row, reconstruction


def format_table(rows: Sequence[DemoRow]) -> str:
    """The demo's results as a plain-text table.

    `loss` and `weight`: how the model was trained (`l1`: the penalty with
    that `l1`; `rate`: `lambda * rate()`). `estimate` is `penalty / l1` per
    pixel: the sum of the latents' magnitudes, which with the default
    `magnitude_code=0` is the number of unary bits the magnitudes take; the
    real strings add sign bits, run lengths and padding. `surrogate` is the
    rate's smooth estimate per pixel (`laplace_rice.rate.rate_surrogate`).

    Args:
      rows: One `DemoRow` per trained model.

    Returns:
      The table, one line per row after a header line, no trailing newline.
    """
    lines = [
        f"{'loss':>4}  {'weight':>6}  {'bits/pixel':>10}  {'PSNR dB':>7}  {'estimate':>8}  "
        f"{'real/est':>8}  {'surrogate':>9}  {'non-zero':>8}  round trip"
    ]
    for r in rows:
        ratio = r.bits_per_pixel / r.estimate_bits_per_pixel if r.estimate_bits_per_pixel else 0
        weight = r.l1 if r.loss == "l1" else r.weight
        lines.append(
            f"{r.loss:>4}  {weight:>6g}  {r.bits_per_pixel:>10.3f}  {r.psnr:>7.2f}  "
            f"{r.estimate_bits_per_pixel:>8.3f}  {ratio:>8.2f}  "
            f"{r.surrogate_bits_per_pixel:>9.3f}  {r.nonzero_fraction:>8.1%}  "
            f"{'OK' if r.round_trip_ok else 'MISMATCH'}"
        )
    return "\n".join(lines)


def _label(row: DemoRow) -> str:
    return f"l1={row.l1:g}" if row.loss == "l1" else f"lam={row.weight:g}"


def _plot(
    path: str, rows: Sequence[DemoRow], originals: np.ndarray, reconstructions, shown: np.ndarray
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (curve, grid) = plt.subplots(
        1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1, 1.2]}
    )
    l1_rows = [r for r in rows if r.loss == "l1"]
    rate_rows = [r for r in rows if r.loss == "rate"]
    if l1_rows:
        psnrs = [r.psnr for r in l1_rows]
        curve.plot([r.bits_per_pixel for r in l1_rows], psnrs, "o-",
                   label="trained with l1 penalty: real size")  # fmt: skip
        curve.plot([r.estimate_bits_per_pixel for r in l1_rows], psnrs, "s--", alpha=0.5,
                   label="l1 penalty / l1 (its estimate)")  # fmt: skip
    if rate_rows:
        curve.plot([r.bits_per_pixel for r in rate_rows], [r.psnr for r in rate_rows], "^-",
                   label="trained with lambda * rate(): real size")  # fmt: skip
    for r in rows:
        # l1 labels right of their points, rate labels above left: the two
        # curves meet at the high rates.
        offset, align = ((6, -4), "left") if r.loss == "l1" else ((-6, 6), "right")
        curve.annotate(_label(r), (r.bits_per_pixel, r.psnr), textcoords="offset points",
                       xytext=offset, ha=align, fontsize=8)  # fmt: skip
    curve.set_xlabel("bits per pixel (held-out digits)")
    curve.set_ylabel("PSNR (dB)")
    curve.set_title("Rate vs distortion, LaplaceEntropyModel")
    curve.grid(True, alpha=0.3)
    curve.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8)

    # One row of originals, then one row of reconstructions per model.
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
        ["original"] + [f"{_label(r)} {r.bits_per_pixel:.2f} b/px" for r in rows], fontsize=7
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
    rate_lambdas: Sequence[float] | None = None,
) -> list[DemoRow]:
    """Trains, compresses, prints the table and writes the plot.

    Args:
      quick: Train `QUICK_L1` and `QUICK_LAMBDA` for `QUICK_EPOCHS` epochs
        (seconds, for tests) instead of `DEFAULT_L1` and `DEFAULT_LAMBDA` for
        `DEFAULT_EPOCHS`.
      seed: Seeds the data split, the weights and the batches.
      output: Path of the PNG to write, or `None` for no plot.
      l1_values: Overrides the `l1` values.
      epochs: Overrides the number of epochs per model.
      stream: Where the progress and the table go (default `sys.stdout`).
      rate_lambdas: Overrides the rate weights (`()` trains no rate model).

    Returns:
      One `DemoRow` per `l1` value, in order of `l1`, then one per rate
      weight, in order of weight.

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
    l1_values = sorted(l1_values or (QUICK_L1 if quick else DEFAULT_L1))
    if any(not (v > 0 and np.isfinite(v)) for v in l1_values):
        raise ValueError(f"l1 values must be positive and finite, got {l1_values}")
    if rate_lambdas is None:
        rate_lambdas = QUICK_LAMBDA if quick else DEFAULT_LAMBDA
    rate_lambdas = sorted(rate_lambdas)
    if any(not (v > 0 and np.isfinite(v)) for v in rate_lambdas):
        raise ValueError(f"rate weights must be positive and finite, got {rate_lambdas}")
    epochs = epochs or (QUICK_EPOCHS if quick else DEFAULT_EPOCHS)

    with _deterministic_ops(tf):
        start = time.perf_counter()
        train, test, labels = _load_digits(seed)
        print(
            f"digits: {len(train)} training and {len(test)} held-out images of 8x8 pixels "
            f"(17 grey levels: {np.log2(17):.2f} bits/pixel uncompressed); "
            f"latent 4x4x{LATENT_CHANNELS}, {epochs} epochs per model",
            file=stream,
        )
        rows, reconstructions = [], []
        runs = [("l1", v) for v in l1_values] + [("rate", v) for v in rate_lambdas]
        for loss_kind, weight in runs:
            encoder, decoder, entropy_model = _train(
                tf, loss_kind, weight, train, epochs, seed, stream
            )
            row, reconstruction = _evaluate(
                tf, encoder, decoder, entropy_model, test, loss_kind, weight
            )
            rows.append(row)
            reconstructions.append(reconstruction)
        print("", file=stream)
        print(format_table(rows), file=stream)
        if output is not None:
            _plot(output, rows, test, reconstructions, _shown(labels))
            print(f"\nwrote {output}", file=stream)
        print(f"done in {time.perf_counter() - start:.1f} s", file=stream)
    return rows


@contextlib.contextmanager
def _deterministic_ops(tf) -> Iterator[None]:
    """Deterministic kernels for the run (the same table every run), then the
    caller's setting back: op determinism is process-wide, and left on it
    would, for one, make Keras refuse `jit_compile=True` later."""
    from tensorflow.python.framework import config

    was_deterministic = config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not was_deterministic:
            config.disable_op_determinism()


def _require(module: str, package: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"the demo needs {package}: pip install 'laplace_rice[demo]' "
            f"(or pip install scikit-learn matplotlib)"
        )
