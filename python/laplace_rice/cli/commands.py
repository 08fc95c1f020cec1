"""The subcommands: each takes the parsed arguments, prints its report, returns 0."""

from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING

import numpy as np

from laplace_rice import codec
from laplace_rice.cli import arrays
from laplace_rice.cli.errors import CliError, one_line
from laplace_rice.cli.pipelines import compress_file, decompress_file
from laplace_rice.container import ContainerReader, Header
from laplace_rice.params import CodeParams

if TYPE_CHECKING:
    from laplace_rice.tuning import CodeParamsSuggestion

__all__ = ["compress", "decompress", "demo", "info", "tune"]


def compress(args: argparse.Namespace) -> int:
    """`laplace-rice compress IN.npy OUT`."""
    explicit = {
        "run_length_code": args.run_length_code,
        "magnitude_code": args.magnitude_code,
        "use_run_length_for_non_zeros": args.use_run_length_for_non_zeros or None,
    }
    given = {name: value for name, value in explicit.items() if value is not None}
    if args.auto:
        if given:
            raise CliError(
                f"--auto picks the code parameters; do not also give {next(iter(given))}"
            )
        npy = arrays.load_npy(args.input)
        suggestion, _ = _suggest(npy, _header(npy, args.coding_rank))
        params = CodeParams(**suggestion.as_kwargs())
    else:
        params = CodeParams(**given)
    start = time.perf_counter()
    header, size = compress_file(
        args.input,
        args.output,
        coding_rank=args.coding_rank,
        chunk_bytes=args.chunk_bytes,
        progress=args.progress,
        **params.as_kwargs(),
    )
    seconds = time.perf_counter() - start
    raw = header.size * header.dtype.itemsize
    bits = 8 * size / header.size if header.size else 0.0
    print(
        f"{args.output}: {_format_bytes(size)} from {_format_bytes(raw)} "
        f"({bits:.3f} bits/element, {header.num_units} units, {_flags(header.params)}) "
        f"in {seconds:.2f} s"
    )
    return 0


def decompress(args: argparse.Namespace) -> int:
    """`laplace-rice decompress IN OUT.npy`."""
    start = time.perf_counter()
    header = decompress_file(
        args.input, args.output, chunk_bytes=args.chunk_bytes, progress=args.progress
    )
    seconds = time.perf_counter() - start
    shape = "x".join(str(d) for d in header.shape) or "scalar"
    print(f"{args.output}: {header.dtype} {shape} in {seconds:.2f} s")
    return 0


def info(args: argparse.Namespace) -> int:
    """`laplace-rice info IN`: the header, sizes and checksums of a container."""
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


def tune(args: argparse.Namespace) -> int:
    """`laplace-rice tune IN.npy`: suggested parameters against the defaults."""
    npy = arrays.load_npy(args.input)
    header = _header(npy, args.coding_rank)
    suggestion, sample = _suggest(npy, header)
    default_bits = _bits_per_element(sample, CodeParams())
    print(f"sample: {sample.shape[0]} of {header.num_units} coding units, {sample.size} elements")
    print(f"suggested: {_flags(CodeParams(**suggestion.as_kwargs()))}")
    print(f"  bits/element, suggested:  {suggestion.bits_per_element:.4f}")
    if default_bits is not None:
        print(f"  bits/element, defaults:   {default_bits:.4f}")
    print(f"  entropy (bits/element):   {suggestion.entropy_bits_per_element:.4f}")
    return 0


def demo(args: argparse.Namespace) -> int:
    """`laplace-rice demo`: the only command that loads TensorFlow."""
    from laplace_rice import demo as demo_module

    demo_module.run_demo(
        quick=args.quick,
        seed=args.seed,
        output=args.output,
        l1_values=args.l1,
        epochs=args.epochs,
    )
    return 0


def _header(npy: arrays.NpyFile, coding_rank: int | None) -> Header:
    rank = arrays.default_coding_rank(npy.ndim) if coding_rank is None else coding_rank
    return Header(npy.dtype, npy.shape, rank)


def _suggest(npy: arrays.NpyFile, header: Header) -> tuple[CodeParamsSuggestion, np.ndarray]:
    """Calls `laplace_rice.tuning.suggest_code_params` on a sample of the array
    (read with plain reads, as compress reads it)."""
    try:
        from laplace_rice.tuning import suggest_code_params
    except ImportError as error:
        raise CliError(
            f"parameter tuning is not available in this build ({one_line(error)})"
        ) from None
    sample = arrays.sample_units(npy, header)
    return suggest_code_params(sample), sample


def _bits_per_element(sample: np.ndarray, params: CodeParams) -> float | None:
    """Bits/element of the sample's strings (whole bytes each, as stored)."""
    if sample.size == 0:
        return None
    bits = codec.encoded_bits_batch(sample, **params.as_kwargs())
    return 8 * float(np.sum((bits + 7) // 8)) / sample.size


def _flags(params: CodeParams) -> str:
    """The parameters as `compress` options."""
    text = f"--run-length-code {params.run_length_code} --magnitude-code {params.magnitude_code}"
    if params.use_run_length_for_non_zeros:
        text += " --use-run-length-for-non-zeros"
    return text


def _code_name(k: int) -> str:
    return f"Rice, k={k}" if k >= 0 else "Elias gamma"


def _format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
