"""Writes the fuzzers' seed corpora from the golden vectors.

Each op record of tests/data/golden_ops.txt (parameters, values, the
reference's string) becomes one seed per target, in the input layouts that
decode_fuzzer.cc and roundtrip_fuzzer.cc document:

    python3 tests/fuzz/make_corpus.py OUT_DIR   # writes OUT_DIR/<target>/

Needs only the standard library.
"""

from __future__ import annotations

import pathlib
import struct
import sys

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "data" / "golden_ops.txt"


def code_byte(code: int) -> int:
    """The inverse of CodeFromByte() in fuzz_common.h (codes -2..33)."""
    return code + 2


def parse(line: str) -> tuple[int, int, int, list[int], bytes]:
    fields = line.split()
    run_length_code, magnitude_code, non_zeros, _reference_ok, count = map(int, fields[:5])
    values = [int(v) for v in fields[5 : 5 + count]]
    hex_code = fields[5 + count]
    code = b"" if hex_code == "-" else bytes.fromhex(hex_code)
    return run_length_code, magnitude_code, non_zeros, values, code


def decode_seed(rlc: int, mc: int, non_zeros: int, count: int, code: bytes) -> bytes:
    scaled = count >= 1 << 16
    if scaled:
        count >>= 5
    flags = non_zeros | (2 if scaled else 0) | 8  # 8: the count as given
    return bytes([code_byte(rlc), code_byte(mc), flags]) + struct.pack("<H", count) + code


def roundtrip_seed(index: int, rlc: int, mc: int, non_zeros: int, values: list[int]) -> bytes:
    # Vary the element type, the parallel split and the wrong-size check.
    kind = 1 if index % 3 == 1 else 2 if index % 5 == 2 else 0
    max_parts = index % 16
    flags = non_zeros | (kind << 1) | (max_parts << 3) | (128 if index % 4 == 0 else 0)
    header = bytes([code_byte(rlc), code_byte(mc), flags, 0])
    if kind == 1:
        return header + struct.pack(f"<{len(values)}f", *values)
    if kind == 2:
        return header + struct.pack(f"<{len(values)}d", *values)
    return header + struct.pack(f"<{len(values)}i", *values)


def main(out_dir: str) -> None:
    out = pathlib.Path(out_dir)
    (out / "decode_fuzzer").mkdir(parents=True, exist_ok=True)
    (out / "roundtrip_fuzzer").mkdir(parents=True, exist_ok=True)
    lines = GOLDEN.read_text().splitlines()
    for index, line in enumerate(lines):
        rlc, mc, non_zeros, values, code = parse(line)
        name = f"golden-{index:04d}"
        seed = decode_seed(rlc, mc, non_zeros, len(values), code)
        (out / "decode_fuzzer" / name).write_bytes(seed)
        seed = roundtrip_seed(index, rlc, mc, non_zeros, values)
        (out / "roundtrip_fuzzer" / name).write_bytes(seed)
    print(f"wrote {len(lines)} seeds per target to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
