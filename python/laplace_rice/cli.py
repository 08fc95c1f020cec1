"""The `laplace-rice` command line tool.

Subcommands:

  compress IN.npy OUT     compress a .npy array into a container (docs/CONTAINER.md)
  decompress IN OUT.npy   restore the (quantized) array
  info IN                 print what a container holds and check its checksums
  tune IN.npy             suggest code parameters for an array
  demo                    train a small autoencoder and plot rate vs distortion

Errors (a missing file, a corrupt, truncated or foreign container, an array the
codec cannot hold) print one line, `laplace-rice: error: ...`, and exit with
status 1; set LAPLACE_RICE_DEBUG=1 to see the traceback instead.

TensorFlow is imported only by the subcommands that code, so `info` and the
checks of a container's framing run without it.
"""

from __future__ import annotations

import argparse
import mmap
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from laplace_rice.container import ContainerError, ContainerReader, ContainerWriter, Header

__all__ = [
    "main",
    "build_parser",
    "ProgressBar",
    "compress_file",
    "decompress_file",
    "default_coding_rank",
]

DEFAULT_CHUNK_BYTES = 1 << 26
"""Input bytes coded per chunk: bounds the tool's memory on large arrays."""

PROGRESS_MIN_BYTES = 1 << 26
"""Inputs at least this large show a progress bar."""

TUNE_SAMPLE_ELEMENTS = 1 << 20
"""`tune` and `--auto` look at about this many elements (whole coding units)."""


class CliError(Exception):
    """An error reported to the user as one line."""


class ProgressBar:
    """A plain-text progress bar on a stream, without dependencies.

    On a terminal it redraws one line (at most 10 times a second); elsewhere
    (a log, a pipe) it prints only the final line, so logs stay readable.
    """

    def __init__(self, total: float, label: str, stream: TextIO | None = None, width: int = 30):
        """Starts a bar.

        Args:
          total: The amount of work that makes 100%.
          label: Text before the bar.
          stream: Where to draw (default: `sys.stderr`).
          width: Characters in the bar.
        """
        self.total = max(float(total), 1e-12)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._done = 0.0

    def update(self, done: float, note: str = "") -> None:
        """Sets the amount of work done and redraws when due.

        Args:
          done: Work done so far, in the units of `total`.
          note: Text after the bar (e.g. the current loss).
        """
        self._done = done
        now = time.perf_counter()
        if self._interactive and (now - self._last_draw >= 0.1 or done >= self.total):
            self._last_draw = now
            self.stream.write("\r" + self._line(note))
            self.stream.flush()

    def _line(self, note: str) -> str:
        fraction = min(max(self._done / self.total, 0.0), 1.0)
        filled = round(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self._start
        return f"{self.label} [{bar}] {100 * fraction:3.0f}% {elapsed:5.1f}s {note}".rstrip()

    def close(self, note: str = "") -> None:
        """Draws the final state and ends the line.

        Args:
          note: Text after the bar.
        """
        line = self._line(note)
        self.stream.write(("\r" + line if self._interactive else line) + "\n")
        self.stream.flush()


class _NoProgress:
    def update(self, done: float, note: str = "") -> None:
        pass

    def close(self, note: str = "") -> None:
        pass


def _progress(show: bool | None, nbytes: int, label: str):
    if show is None:
        show = nbytes >= PROGRESS_MIN_BYTES
    return ProgressBar(nbytes, label) if show else _NoProgress()


def default_coding_rank(ndim: int) -> int:
    """The coding rank `compress` uses unless told: one unit per leading index.

    Args:
      ndim: The array's rank.

    Returns:
      `ndim - 1` for arrays of rank 2 or more (each entry along the first axis
      is a coding unit), else `ndim` (the whole array is one unit).
    """
    return ndim - 1 if ndim >= 2 else ndim


def _load_npy(path: str) -> np.ndarray:
    """Memory-maps a .npy file (read-only); loads it when mapping is impossible."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory") from None
    except (ValueError, OSError, EOFError) as error:
        raise CliError(f"{path}: not a readable .npy array ({_one_line(error)})") from None
    if not isinstance(array, np.ndarray):  # an .npz archive
        raise CliError(f"{path}: an .npz archive, not a .npy array")
    return array


def _units(array: np.ndarray, header: Header) -> np.ndarray | None:
    """A (num_units, *code_shape) view of `array` when one exists without copying."""
    try:
        view = array.view()
        view.shape = (header.num_units, *header.code_shape)
        return view
    except AttributeError:  # not C-contiguous: units are gathered chunk by chunk
        return None


def _chunk(array: np.ndarray, units: np.ndarray | None, header: Header, start: int, stop: int):
    if units is not None:
        return np.asarray(units[start:stop])
    index = np.unravel_index(np.arange(start, stop), header.batch_shape)
    return np.asarray(array[index]).reshape(stop - start, *header.code_shape)


def _release_pages(array: np.ndarray, start: int, stop: int) -> None:
    """Drops bytes [start, stop) of a memory-mapped array from this process's memory.

    Pages of a mapped file that were read or written stay resident until the
    kernel needs the memory; dropping each chunk's pages once it is coded keeps
    the tool's resident size bounded by a chunk. The data is safe: a shared
    file mapping re-reads dropped pages from the (page-cached) file.
    """
    mm = getattr(array, "_mmap", None)
    if mm is None or not hasattr(mmap, "MADV_DONTNEED") or array.offset is None:
        return
    base = array.offset % mmap.ALLOCATIONGRANULARITY  # where the data starts in the map
    begin = (base + start) // mmap.PAGESIZE * mmap.PAGESIZE
    end = min(base + stop, len(mm))
    if end > begin:
        mm.madvise(mmap.MADV_DONTNEED, begin, end - begin)


def _codable(chunk: np.ndarray) -> np.ndarray:
    """The chunk in a dtype the encoder reads (float32/64 are rounded by the kernel)."""
    if chunk.dtype == np.float16:
        return chunk.astype(np.float32)
    if chunk.dtype.kind == "f":
        return chunk
    if chunk.dtype != np.int32 and chunk.size:
        low, high = int(chunk.min()), int(chunk.max())
        if low < -(2**31) or high >= 2**31:
            raise CliError(f"values from {low} to {high} do not fit the codec's int32 range")
    return chunk.astype(np.int32, copy=False)


def _units_per_chunk(header: Header, chunk_bytes: int) -> int:
    unit_bytes = header.unit_size * header.dtype.itemsize
    # Cap the unit count too: each unit costs a Python bytes object.
    return max(1, min(chunk_bytes // max(unit_bytes, 1), 1 << 20))


def compress_file(
    in_path: str,
    out_path: str,
    coding_rank: int | None = None,
    run_length_code: int = -1,
    magnitude_code: int = 0,
    use_run_length_for_non_zeros: bool = False,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: bool | None = None,
) -> tuple[Header, int]:
    """Compresses a .npy array into a container, streaming it chunk by chunk.

    Floating-point values are rounded to integers (half to even), as
    `LaplaceEntropyModel.compress()` does; integers are coded exactly.

    Args:
      in_path: The .npy file (memory-mapped, so it may exceed RAM).
      out_path: The container to write.
      coding_rank: Innermost dimensions per coding unit; `None` picks
        `default_coding_rank(ndim)`.
      run_length_code: Rice parameter for run lengths, or -1 for gamma.
      magnitude_code: Rice parameter for magnitudes, or -1 for gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.
      chunk_bytes: Input bytes coded per step (whole units; at least one).
      progress: Show a progress bar (`None`: only for inputs of 64 MiB or more).

    Returns:
      `(header, container_size_in_bytes)`.

    Raises:
      CliError: if the input cannot be read or coded.
      ContainerError: if the array cannot be stored in a container.
    """
    array = _load_npy(in_path)
    if coding_rank is None:
        coding_rank = default_coding_rank(array.ndim)
    header = Header(
        dtype=array.dtype,
        shape=array.shape,
        coding_rank=coding_rank,
        run_length_code=run_length_code,
        magnitude_code=magnitude_code,
        use_run_length_for_non_zeros=use_run_length_for_non_zeros,
    )
    tf, library = _tensorflow()
    units = _units(array, header)
    per_chunk = _units_per_chunk(header, chunk_bytes)
    unit_bytes = header.unit_size * header.dtype.itemsize
    bar = _progress(progress, array.nbytes, "compress")
    with ContainerWriter(out_path, header) as writer:
        for start in range(0, header.num_units, per_chunk):
            stop = min(start + per_chunk, header.num_units)
            chunk = _codable(_chunk(array, units, header, start, stop))
            try:
                strings = library.laplace_rice_encode(
                    chunk, coding_rank=header.coding_rank, **header.code_params()
                )
            except tf.errors.OpError as error:
                raise CliError(f"{in_path}: cannot compress: {_one_line(error)}") from None
            writer.write_units(strings.numpy().tolist())
            if units is not None:
                _release_pages(array, start * unit_bytes, stop * unit_bytes)
            bar.update(stop * unit_bytes, f"{stop}/{header.num_units} units")
        size = header.nbytes + 4 * header.num_units + writer.payload_bytes + 16
    bar.close(f"{header.num_units} units")
    return header, size


def decompress_file(
    in_path: str,
    out_path: str,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: bool | None = None,
) -> Header:
    """Decompresses a container into a .npy file, chunk by chunk.

    The container's framing and checksums are checked before anything is
    decoded; the output is written under a temporary name and renamed into
    place only when every unit decoded.

    Args:
      in_path: The container.
      out_path: The .npy file to write (the original dtype and shape).
      chunk_bytes: Output bytes decoded per step (whole units; at least one).
      progress: Show a progress bar (`None`: only for outputs of 64 MiB or more).

    Returns:
      The container's `Header`.

    Raises:
      ContainerError: if the container is corrupt, truncated or foreign.
      CliError: if a string does not decode.
    """
    with ContainerReader(in_path) as reader:
        header = reader.header
        tf, library = _tensorflow()
        tmp_path = f"{out_path}.tmp-{os.getpid()}.npy"
        nbytes = header.size * header.dtype.itemsize
        bar = _progress(progress, nbytes, "decompress")
        try:
            if header.size == 0:
                np.save(tmp_path, np.zeros(header.shape, dtype=header.dtype))
            else:
                out = np.lib.format.open_memmap(
                    tmp_path, mode="w+", dtype=header.dtype, shape=header.shape
                )
                units = out.reshape(header.num_units, *header.code_shape)
                code_shape = np.array(header.code_shape, dtype=np.int64)
                per_chunk = _units_per_chunk(header, chunk_bytes)
                for start, strings in reader.iter_units(per_chunk):
                    try:
                        values = library.laplace_rice_decode(
                            np.array(strings, dtype=object), code_shape, **header.code_params()
                        )
                    except tf.errors.OpError as error:
                        raise CliError(
                            f"{in_path}: corrupt data in coding units {start} to "
                            f"{start + len(strings) - 1}: {_one_line(error)}"
                        ) from None
                    stop = start + len(strings)
                    units[start:stop] = values.numpy()
                    unit_bytes = header.unit_size * header.dtype.itemsize
                    _release_pages(out, start * unit_bytes, stop * unit_bytes)
                    done = stop * unit_bytes
                    bar.update(done, f"{stop}/{header.num_units} units")
                out.flush()
                del units, out
            os.replace(tmp_path, out_path)
        except BaseException:
            if os.path.exists(tmp_path):
                os.remove(tmp_path)
            raise
        bar.close(f"{header.num_units} units")
    return header


def _tensorflow():
    """Imports TensorFlow quietly, and the op library."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from laplace_rice.ops import library

    return tf, library


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    line = text.splitlines()[0]
    # TensorFlow prefixes the function node that failed; the message follows.
    if line.startswith("{{function_node") and "}}" in line:
        line = line.split("}}", 1)[1].strip()
    return line


def _format_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _sample_units(array: np.ndarray, header: Header) -> np.ndarray:
    """Whole coding units spread evenly over the array, about TUNE_SAMPLE_ELEMENTS in all."""
    count = header.num_units
    take = max(1, min(count, TUNE_SAMPLE_ELEMENTS // max(header.unit_size, 1)))
    units = _units(array, header)
    picks = np.unique(np.linspace(0, count - 1, take).round().astype(np.int64))
    parts = [_chunk(array, units, header, int(i), int(i) + 1) for i in picks]
    sample = np.concatenate(parts) if parts else np.zeros((0, *header.code_shape))
    if sample.dtype.kind == "f":
        if not np.all(np.isfinite(sample)):
            raise CliError("the array holds NaN or infinite values, which cannot be coded")
        sample = np.rint(sample)
    if sample.size and (sample.min() < -(2**31) or sample.max() >= 2**31):
        raise CliError("values do not fit the codec's int32 range")
    return sample.astype(np.int32)


def _suggest(array: np.ndarray, header: Header):
    """Calls `laplace_rice.suggest_code_params` on a sample of the array."""
    try:
        from laplace_rice.tuning import suggest_code_params
    except ImportError as error:
        raise CliError(
            f"parameter tuning is not available in this build ({_one_line(error)})"
        ) from None
    sample = _sample_units(array, header)
    return suggest_code_params(sample), sample


# ---------------------------------------------------------------------------- commands


def _cmd_compress(args: argparse.Namespace) -> int:
    explicit = {
        "run_length_code": args.run_length_code,
        "magnitude_code": args.magnitude_code,
        "use_run_length_for_non_zeros": args.use_run_length_for_non_zeros or None,
    }
    params = dict(run_length_code=-1, magnitude_code=0, use_run_length_for_non_zeros=False)
    if args.auto:
        given = [name for name, value in explicit.items() if value is not None]
        if given:
            raise CliError(f"--auto picks the code parameters; do not also give {given[0]}")
        array = _load_npy(args.input)
        rank = default_coding_rank(array.ndim) if args.coding_rank is None else args.coding_rank
        header = Header(array.dtype, array.shape, rank)
        suggestion, _ = _suggest(array, header)
        params = suggestion.as_kwargs()
        del array
    else:
        params.update({k: v for k, v in explicit.items() if v is not None})
    start = time.perf_counter()
    header, size = compress_file(
        args.input,
        args.output,
        coding_rank=args.coding_rank,
        chunk_bytes=args.chunk_bytes,
        progress=args.progress,
        **params,
    )
    seconds = time.perf_counter() - start
    raw = header.size * header.dtype.itemsize
    bits = 8 * size / header.size if header.size else 0.0
    flags = _param_flags(header)
    print(
        f"{args.output}: {_format_bytes(size)} from {_format_bytes(raw)} "
        f"({bits:.3f} bits/element, {header.num_units} units, {flags}) in {seconds:.2f} s"
    )
    return 0


def _param_flags(header) -> str:
    text = f"--run-length-code {header.run_length_code} --magnitude-code {header.magnitude_code}"
    if header.use_run_length_for_non_zeros:
        text += " --use-run-length-for-non-zeros"
    return text


def _cmd_decompress(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    header = decompress_file(
        args.input, args.output, chunk_bytes=args.chunk_bytes, progress=args.progress
    )
    seconds = time.perf_counter() - start
    shape = "x".join(str(d) for d in header.shape) or "scalar"
    print(f"{args.output}: {header.dtype} {shape} in {seconds:.2f} s")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    with ContainerReader(args.input) as reader:
        h = reader.header
        size = os.path.getsize(args.input)
        raw = h.size * h.dtype.itemsize
        rows = [
            ("format", "laplace-rice container, version 1"),
            ("dtype", str(h.dtype)),
            ("shape", str(list(h.shape))),
            ("coding rank", f"{h.coding_rank} (unit shape {list(h.code_shape)})"),
            ("coding units", str(h.num_units)),
            ("run_length_code", f"{h.run_length_code} ({_code_name(h.run_length_code)})"),
            ("magnitude_code", f"{h.magnitude_code} ({_code_name(h.magnitude_code)})"),
            ("use_run_length_for_non_zeros", str(h.use_run_length_for_non_zeros)),
            ("strings", f"{reader.payload_bytes} bytes"),
            ("unit string bytes", f"min {reader.min_unit_bytes}, max {reader.max_unit_bytes}"),
            ("file size", f"{size} bytes"),
            ("bits/element", f"{8 * size / h.size:.4f}" if h.size else "-"),
            ("compression ratio", f"{raw / size:.2f} (vs {raw} bytes raw)" if size else "-"),
            ("CRC32", "OK (header, length table, strings)"),
        ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


def _code_name(k: int) -> str:
    return f"Rice, k={k}" if k >= 0 else "Elias gamma"


def _cmd_tune(args: argparse.Namespace) -> int:
    array = _load_npy(args.input)
    rank = default_coding_rank(array.ndim) if args.coding_rank is None else args.coding_rank
    header = Header(array.dtype, array.shape, rank)
    suggestion, sample = _suggest(array, header)
    default_bits = _bits_per_element(sample, rank, Header(array.dtype, array.shape, rank))
    print(f"sample: {sample.shape[0]} of {header.num_units} coding units, {sample.size} elements")
    print(f"suggested: {_param_flags(_with_params(header, suggestion.as_kwargs()))}")
    print(f"  bits/element, suggested:  {suggestion.bits_per_element:.4f}")
    if default_bits is not None:
        print(f"  bits/element, defaults:   {default_bits:.4f}")
    print(f"  entropy (bits/element):   {suggestion.entropy_bits_per_element:.4f}")
    return 0


def _with_params(header: Header, params: dict) -> Header:
    return Header(header.dtype, header.shape, header.coding_rank, **params)


def _bits_per_element(sample: np.ndarray, rank: int, header: Header) -> float | None:
    """Bits/element of the sample with `header`'s code parameters (the real size)."""
    if sample.size == 0:
        return None
    _, library = _tensorflow()
    bits = library.laplace_rice_bits(sample, coding_rank=rank, **header.code_params())
    return float(np.sum(bits.numpy())) / sample.size


def _cmd_demo(args: argparse.Namespace) -> int:
    from laplace_rice import demo

    demo.run_demo(
        quick=args.quick,
        seed=args.seed,
        output=args.output,
        l1_values=args.l1,
        epochs=args.epochs,
    )
    return 0


# ---------------------------------------------------------------------------- parser


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _rice_parameter(text: str) -> int:
    value = int(text)
    if not -1 <= value <= 31:
        raise argparse.ArgumentTypeError(f"must be -1 (gamma) or 0 to 31, got {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _add_streaming_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--chunk-bytes",
        type=_positive,
        default=DEFAULT_CHUNK_BYTES,
        help="bytes of array coded per step, in whole coding units (default: 64 MiB)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", action="store_true", default=None, help="always show progress")
    group.add_argument("--no-progress", dest="progress", action="store_false", help="never")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `laplace-rice`.

    Returns:
      An `argparse.ArgumentParser` with one subparser per command.
    """
    parser = argparse.ArgumentParser(
        prog="laplace-rice",
        description="Compress arrays with the run-length Rice/Gamma code of "
        "LaplaceEntropyModel, and see what it does in a training demo.",
    )
    from laplace_rice import __version__

    parser.add_argument("--version", action="version", version=f"laplace-rice {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("compress", help="compress a .npy array into a container")
    p.add_argument("input", metavar="IN.npy")
    p.add_argument("output", metavar="OUT")
    p.add_argument(
        "--coding-rank",
        type=_non_negative,
        help="innermost dimensions per coding unit (default: all but the first axis; "
        "the whole array if its rank is 0 or 1)",
    )
    p.add_argument(
        "--run-length-code", type=_rice_parameter, help="Rice k for run lengths, -1: gamma (-1)"
    )
    p.add_argument(
        "--magnitude-code", type=_rice_parameter, help="Rice k for magnitudes, -1: gamma (0)"
    )
    p.add_argument(
        "--use-run-length-for-non-zeros",
        action="store_true",
        help="also code the lengths of runs of non-zeros",
    )
    p.add_argument(
        "--auto", action="store_true", help="pick the code parameters from a sample (as `tune`)"
    )
    _add_streaming_options(p)
    p.set_defaults(func=_cmd_compress)

    p = sub.add_parser("decompress", help="decompress a container into a .npy array")
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT.npy")
    _add_streaming_options(p)
    p.set_defaults(func=_cmd_decompress)

    p = sub.add_parser("info", help="print a container's header and check its checksums")
    p.add_argument("input", metavar="IN")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("tune", help="suggest code parameters for a .npy array")
    p.add_argument("input", metavar="IN.npy")
    p.add_argument("--coding-rank", type=_non_negative, help="as for compress")
    p.set_defaults(func=_cmd_tune)

    p = sub.add_parser("demo", help="train an autoencoder on digits; plot rate vs distortion")
    p.add_argument("--quick", action="store_true", help="2 l1 values, few epochs (seconds)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--output", default="rate_distortion.png", help="the plot (default rate_distortion.png)"
    )
    p.add_argument("--l1", type=float, nargs="+", help="l1 values to train (one model each)")
    p.add_argument("--epochs", type=_positive, help="training epochs per l1 value")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `laplace-rice` command line tool.

    Args:
      argv: The arguments (default: `sys.argv[1:]`).

    Returns:
      The exit status: 0 on success, 1 on an error (reported as one line on
      stderr), 2 on a usage error, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("laplace-rice: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # every failure is one line, never a traceback
        if os.environ.get("LAPLACE_RICE_DEBUG"):
            raise
        print(f"laplace-rice: error: {_describe(error)}", file=sys.stderr)
        return 1


def _describe(error: Exception) -> str:
    if isinstance(error, (CliError, ContainerError)):
        return _one_line(error)
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or _one_line(error)}"
    if isinstance(error, MemoryError):
        return "out of memory (try a smaller --chunk-bytes or coding rank)"
    return f"{type(error).__name__}: {_one_line(error)}"
