"""Export a `LaplaceEntropyModel` as a SavedModel for TF Serving and C/C++ hosts.

The SavedModel holds two signatures:

- `compress`: input `bottleneck` (the model's `bottleneck_dtype`, shape
  `bottleneck_shape`), output `strings_bytes` (one string per coding unit,
  shape `bottleneck_shape[:-coding_rank]`).
- `decompress`: input `strings_bytes` (that shape), output `bottleneck` (the
  quantized tensor, `bottleneck_dtype`, shape `bottleneck_shape`). The code
  shape, `bottleneck_shape[-coding_rank:]`, is fixed at export.

The strings' key ends in `_bytes` because TF Serving's REST API base64-encodes
a string output (`{"b64": ...}`) only when its name has that suffix; other
string outputs are written to JSON raw, which mangles binary data.

The graphs use this library's custom ops (`LaplaceRiceEncode`,
`LaplaceRiceDecode`), so whatever loads the SavedModel must register them
first: `tf.load_op_library(op_library_path())` in Python, `TF_LoadLibrary` in
C, or a TF Serving model server built with the ops linked in. Loading without
them fails with "Op type not registered 'LaplaceRiceEncode'" (docs/serving.md).

TensorFlow is imported only by `export_saved_model`: `op_library_path()` is
cheap enough for shell scripts (`python -m laplace_rice.serving op-library`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from laplace_rice.entropy_model import LaplaceEntropyModel

__all__ = [
    "BOTTLENECK_KEY",
    "COMPRESS",
    "DECOMPRESS",
    "STRINGS_KEY",
    "export_saved_model",
    "op_library_path",
    "signature_names",
]

COMPRESS = "compress"
"""Name of the signature that turns a float bottleneck into strings."""
DECOMPRESS = "decompress"
"""Name of the signature that turns strings back into the quantized bottleneck."""
BOTTLENECK_KEY = "bottleneck"
"""Input key of `compress`, output key of `decompress`."""
STRINGS_KEY = "strings_bytes"
"""Output key of `compress`, input key of `decompress` (`_bytes`: base64 in TF Serving's REST)."""

_OP_LIBRARY = "_laplace_rice_ops.so"


def op_library_path() -> str:
    """The absolute path of the installed op library (`_laplace_rice_ops.so`).

    This is the file a serving process must load (`tf.load_op_library`,
    `TF_LoadLibrary`) before it loads a SavedModel exported by this module.

    Raises:
      FileNotFoundError: if the package was installed without its op library.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), _OP_LIBRARY)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"laplace_rice's op library is missing: {path}. Reinstall the package "
            "with its TensorFlow part (pip install --no-build-isolation <laplace_rice>)."
        )
    return path


def _split_shape(bottleneck_shape: Sequence[int | None], coding_rank: int):
    """Splits `bottleneck_shape` into (batch shape, code shape), checking both."""
    if isinstance(bottleneck_shape, (str, bytes)) or not isinstance(bottleneck_shape, Sequence):
        raise TypeError(
            f"`bottleneck_shape` must be a sequence of sizes, got {bottleneck_shape!r}."
        )
    shape = []
    for size in bottleneck_shape:
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise ValueError(
                f"`bottleneck_shape` entries must be non-negative ints or None, "
                f"got {bottleneck_shape!r}."
            )
        shape.append(size)
    if len(shape) < coding_rank:
        raise ValueError(
            f"`bottleneck_shape` must have at least coding_rank = {coding_rank} "
            f"dimensions, got {bottleneck_shape!r}."
        )
    split = len(shape) - coding_rank
    batch_shape, code_shape = shape[:split], shape[split:]
    if any(size is None for size in code_shape):
        raise ValueError(
            f"The innermost coding_rank = {coding_rank} sizes of `bottleneck_shape` "
            f"(the code shape, fixed at export) must be known, got {bottleneck_shape!r}."
        )
    return batch_shape, code_shape


def _serving_module(model: LaplaceEntropyModel, batch_shape: list, code_shape: list):
    """A `tf.Module` whose two `tf.function`s become the signatures."""
    import tensorflow as tf

    dtype = model.bottleneck_dtype
    bottleneck_spec = tf.TensorSpec(batch_shape + code_shape, dtype, name=BOTTLENECK_KEY)
    strings_spec = tf.TensorSpec(batch_shape, tf.string, name=STRINGS_KEY)
    module = tf.Module(name="laplace_rice_serving")
    module.model = model

    @tf.function(input_signature=[bottleneck_spec])
    def compress(bottleneck):
        return {STRINGS_KEY: model.compress(bottleneck)}

    @tf.function(input_signature=[strings_spec])
    def decompress(strings_bytes):
        return {BOTTLENECK_KEY: model.decompress(strings_bytes, code_shape)}

    module.compress = compress
    module.decompress = decompress
    return module


def export_saved_model(
    model: LaplaceEntropyModel,
    export_dir: str | os.PathLike,
    bottleneck_shape: Sequence[int | None],
) -> str:
    """Writes a SavedModel with the signatures `compress` and `decompress`.

    Args:
      model: The `LaplaceEntropyModel` whose coding parameters are exported.
      export_dir: The SavedModel folder to write (for TF Serving, a numbered
        version folder such as `models/laplace/1`).
      bottleneck_shape: Shape of the `compress` input. Batch dimensions (all but
        the innermost `model.coding_rank`) may be `None`; the innermost
        `coding_rank` sizes, the code shape that `decompress` produces, must be
        known.

    Returns:
      `export_dir` as a string.

    Raises:
      TypeError: if `model` is not a `LaplaceEntropyModel` or the shape is not a
        sequence.
      ValueError: if the shape has fewer than `coding_rank` dimensions, a
        negative or non-integer size, or an unknown size in the code shape.
    """
    import tensorflow as tf

    from laplace_rice.entropy_model import LaplaceEntropyModel

    if not isinstance(model, LaplaceEntropyModel):
        raise TypeError(f"`model` must be a LaplaceEntropyModel, got {type(model).__name__}.")
    batch_shape, code_shape = _split_shape(bottleneck_shape, model.coding_rank)
    module = _serving_module(model, batch_shape, code_shape)
    export_dir = os.fspath(export_dir)
    signatures = {
        COMPRESS: module.compress.get_concrete_function(),
        DECOMPRESS: module.decompress.get_concrete_function(),
    }
    tf.saved_model.save(module, export_dir, signatures=signatures)
    return export_dir


def signature_names(export_dir: str | os.PathLike, tag: str = "serve") -> dict:
    """The graph tensor names behind each signature's inputs and outputs.

    What a host using the TensorFlow C API (`TF_SessionRun`) feeds and fetches,
    read from `saved_model.pb` without loading the graph (no op library needed).

    Returns:
      `{signature: {"inputs": {key: "op:index"}, "outputs": {key: "op:index"}}}`.
    """
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(os.fspath(export_dir), "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    for meta_graph in saved_model.meta_graphs:
        if tag in meta_graph.meta_info_def.tags:
            return {
                name: {
                    "inputs": {k: v.name for k, v in sig.inputs.items()},
                    "outputs": {k: v.name for k, v in sig.outputs.items()},
                }
                for name, sig in meta_graph.signature_def.items()
                if not name.startswith("__")
            }
    raise ValueError(f"No meta graph tagged {tag!r} in {export_dir}.")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m laplace_rice.serving op-library` prints the op library's path."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["op-library"]:
        print(op_library_path())
        return 0
    print("usage: python -m laplace_rice.serving op-library", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
