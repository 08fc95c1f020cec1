"""The `.lrc` container's header: `Header`, what a container says about the
array it holds, with its checks and its stored form, and `read_header`, which
parses and checks that stored form.

A header is checked completely when it is made, whether from the command
line's arguments or from a file, so that neither the writer nor the reader
ever sees an array the format or the codec cannot hold.
"""

from __future__ import annotations

import dataclasses
import math
import struct
import zlib
from typing import BinaryIO

import numpy as np

from laplace_rice.container.layout import (
    _CODE_OF_DTYPE,
    _FIXED,
    _FLAG_RUN_LENGTH_FOR_NON_ZEROS,
    DTYPE_CODES,
    MAGIC,
    MAX_NDIM,
    VERSION,
    ContainerError,
    _read_exact,
)
from laplace_rice.params import GAMMA, MAX_RICE_PARAMETER, MAX_UNIT_SIZE, CodeParams

__all__ = ["Header", "read_header"]


@dataclasses.dataclass(frozen=True)
class Header:
    """What a container says about the array it holds.

    Attributes:
      dtype: numpy dtype of the original array (decompression restores it).
      shape: Shape of the original array.
      coding_rank: Number of innermost dimensions that form one coding unit.
      run_length_code: Rice parameter for run lengths, or negative for gamma.
      magnitude_code: Rice parameter for magnitudes, or negative for gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.
    """

    dtype: np.dtype
    shape: tuple[int, ...]
    coding_rank: int
    run_length_code: int = -1
    magnitude_code: int = 0
    use_run_length_for_non_zeros: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", np.dtype(self.dtype))
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        if self.dtype not in _CODE_OF_DTYPE:
            names = ", ".join(str(d) for d in DTYPE_CODES.values())
            raise ContainerError(f"unsupported dtype {self.dtype} (supported: {names})")
        if len(self.shape) > MAX_NDIM:
            raise ContainerError(f"arrays of rank {len(self.shape)} are not supported (max 32)")
        if any(d < 0 for d in self.shape):
            raise ContainerError(f"negative dimension in shape {self.shape}")
        if not 0 <= self.coding_rank <= len(self.shape):
            raise ContainerError(
                f"coding rank {self.coding_rank} must be between 0 and the array's "
                f"rank {len(self.shape)}"
            )
        try:
            params = CodeParams(
                self.run_length_code, self.magnitude_code, self.use_run_length_for_non_zeros
            )
        except (TypeError, ValueError) as error:
            raise ContainerError(str(error)) from None
        for name in ("run_length_code", "magnitude_code"):
            # The file stores gamma as -1 only: a byte below that is corruption.
            value = getattr(self, name)
            if value < GAMMA:
                raise ContainerError(
                    f"{name} must be -1 (gamma) or 0 to {MAX_RICE_PARAMETER}, got {value}"
                )
        for name, value in params.as_kwargs().items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_params", params)
        if self.unit_size > MAX_UNIT_SIZE:
            raise ContainerError(
                f"a coding unit of shape {self.code_shape} has {self.unit_size} elements, "
                f"more than the codec's limit of {MAX_UNIT_SIZE}; use a smaller coding rank"
            )

    @property
    def code_shape(self) -> tuple[int, ...]:
        """Shape of one coding unit: the innermost `coding_rank` dimensions."""
        return self.shape[len(self.shape) - self.coding_rank :]

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The dimensions outside the coding unit."""
        return self.shape[: len(self.shape) - self.coding_rank]

    @property
    def num_units(self) -> int:
        """Number of coding units (one string each)."""
        return math.prod(self.batch_shape)

    @property
    def unit_size(self) -> int:
        """Number of elements in one coding unit."""
        return math.prod(self.code_shape)

    @property
    def size(self) -> int:
        """Number of elements of the array."""
        return math.prod(self.shape)

    @property
    def params(self) -> CodeParams:
        """The three code parameters, as one `CodeParams`."""
        return self._params

    def code_params(self) -> dict:
        """The three code parameters, as keyword arguments of `LaplaceEntropyModel`."""
        return self._params.as_kwargs()

    def to_bytes(self) -> bytes:
        """The header as stored, ending with its own CRC32.

        Returns:
          `bytes`: the fixed fields, the shape, the unit count and the CRC32.
        """
        flags = _FLAG_RUN_LENGTH_FOR_NON_ZEROS if self.use_run_length_for_non_zeros else 0
        body = _FIXED.pack(
            MAGIC,
            VERSION,
            _CODE_OF_DTYPE[self.dtype],
            len(self.shape),
            self.coding_rank,
            flags,
            self.run_length_code,
            self.magnitude_code,
        )
        body += struct.pack(f"<{len(self.shape)}QQ", *self.shape, self.num_units)
        return body + struct.pack("<I", zlib.crc32(body))

    @property
    def nbytes(self) -> int:
        """Size of the stored header in bytes."""
        return _FIXED.size + 8 * len(self.shape) + 8 + 4


def read_header(f: BinaryIO) -> Header:
    """Reads and checks a container's header from the start of `f`.

    Args:
      f: A binary file positioned at the container's first byte.

    Returns:
      The `Header`.

    Raises:
      ContainerError: if the file is not a container, is of another version,
        is truncated, or its header is corrupt.
    """
    fixed = f.read(_FIXED.size)
    if len(fixed) < len(MAGIC) or fixed[: len(MAGIC)] != MAGIC:
        raise ContainerError("not a laplace-rice container (bad magic number)")
    if len(fixed) != _FIXED.size:
        raise ContainerError("truncated file: it ends inside the header")
    _, version, dtype_code, ndim, rank, flags, rl_code, mag_code = _FIXED.unpack(fixed)
    if version != VERSION:
        raise ContainerError(
            f"container version {version} is not supported (this tool reads version {VERSION})"
        )
    if ndim > MAX_NDIM:
        raise ContainerError(f"corrupt header: rank {ndim} exceeds {MAX_NDIM}")
    rest = _read_exact(f, 8 * ndim + 8 + 4, "header")
    *shape, num_units, crc = struct.unpack(f"<{ndim}QQI", rest)
    if zlib.crc32(fixed + rest[:-4]) != crc:
        raise ContainerError("corrupt header: CRC32 mismatch")
    if dtype_code not in DTYPE_CODES:
        raise ContainerError(f"corrupt header: unknown dtype code {dtype_code}")
    if flags & ~_FLAG_RUN_LENGTH_FOR_NON_ZEROS:
        raise ContainerError(f"corrupt header: unknown flags 0x{flags:02x}")
    header = Header(
        dtype=DTYPE_CODES[dtype_code],
        shape=tuple(shape),
        coding_rank=rank,
        run_length_code=rl_code,
        magnitude_code=mag_code,
        use_run_length_for_non_zeros=bool(flags & _FLAG_RUN_LENGTH_FOR_NON_ZEROS),
    )
    if header.num_units != num_units:
        raise ContainerError(
            f"corrupt header: {num_units} units stored, the shape implies {header.num_units}"
        )
    return header
