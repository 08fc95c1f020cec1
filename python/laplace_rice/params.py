"""`CodeParams`: the three code parameters, checked once, without TensorFlow.

Every part of the library that codes (the model, the op wrappers, the NumPy
codec, the `.lrc` container, the tuner and the command line tool) takes the
same three parameters:

- `run_length_code`: Rice parameter `k` (0 to `MAX_RICE_PARAMETER`) for run
  lengths, or any negative value for the Elias gamma code (default -1).
- `magnitude_code`: Rice parameter for magnitudes, or negative for gamma
  (default 0).
- `use_run_length_for_non_zeros`: whether runs of non-zeros are coded too
  (default False).

They are checked here and nowhere else. The limits come from the compiled
codec, so they cannot drift from what the C++ code accepts.
"""

from __future__ import annotations

import dataclasses
import numbers
import operator
from typing import Any

import numpy as np

from laplace_rice import _codec

__all__ = ["GAMMA", "MAX_RICE_PARAMETER", "MAX_UNIT_SIZE", "CodeParams"]

MAX_RICE_PARAMETER: int = _codec.MAX_RICE_PARAMETER
"""The largest Rice parameter `k` the bitstream carries (31)."""

MAX_UNIT_SIZE: int = _codec.MAX_UNIT_SIZE
"""The largest number of values in one coding unit (2**31 - 2)."""

GAMMA = -1
"""The value a code parameter holds when it selects the Elias gamma code."""


def _code(name: str, value: Any) -> int:
    # bool is an int to Python, but True as a Rice parameter is a mistake.
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got {value!r} (bool)")
    try:
        k = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})") from None
    if k > MAX_RICE_PARAMETER:
        raise ValueError(
            f"{name} = {k} is out of range: a Rice parameter is at most "
            f"{MAX_RICE_PARAMETER}; negative values select the gamma code"
        )
    return max(k, GAMMA)  # every negative value means gamma: one spelling of it


def _flag(name: str, value: Any) -> bool:
    # Integers are accepted, as tensorflow-compression's model accepts them.
    if not isinstance(value, (bool, np.bool_, numbers.Integral)):
        raise TypeError(f"{name} must be a bool, got {value!r} ({type(value).__name__})")
    return bool(value)


@dataclasses.dataclass(frozen=True)
class CodeParams:
    """The three code parameters of the run-length Rice/Gamma code, checked.

    Construction checks and normalizes them: codes become plain ints, any
    negative code becomes `GAMMA` (-1), the flag a plain bool. The strings do
    not record the parameters: decode with those you encoded with.

        params = CodeParams(magnitude_code=2)
        model = LaplaceEntropyModel(coding_rank=1, **params.as_kwargs())
        strings = codec.encode_batch(x, **params.as_kwargs())

    Attributes:
      run_length_code: Rice parameter for run lengths, or -1 for gamma.
      magnitude_code: Rice parameter for magnitudes, or -1 for gamma.
      use_run_length_for_non_zeros: Whether runs of non-zeros are coded too.

    Raises:
      TypeError: a code that is not an int (bools included), or a flag that
        is neither a bool nor an int.
      ValueError: a code above `MAX_RICE_PARAMETER`.
    """

    run_length_code: int = GAMMA
    magnitude_code: int = 0
    use_run_length_for_non_zeros: bool = False

    def __post_init__(self) -> None:
        for name in ("run_length_code", "magnitude_code"):
            object.__setattr__(self, name, _code(name, getattr(self, name)))
        name = "use_run_length_for_non_zeros"
        object.__setattr__(self, name, _flag(name, getattr(self, name)))

    def as_kwargs(self) -> dict[str, int | bool]:
        """The parameters as keyword arguments.

        Returns:
          A new dict for `LaplaceEntropyModel(coding_rank, **kwargs)`,
          `run_length_encode(data, **kwargs)`, `codec.encode(x, **kwargs)`
          or the raw ops' attributes.
        """
        # A literal, not dataclasses.asdict: every eager call of the model
        # builds this dict, and asdict's deep copy costs microseconds.
        return dict(
            run_length_code=self.run_length_code,
            magnitude_code=self.magnitude_code,
            use_run_length_for_non_zeros=self.use_run_length_for_non_zeros,
        )

    def as_tuple(self) -> tuple[int, int, bool]:
        """`(run_length_code, magnitude_code, use_run_length_for_non_zeros)`."""
        return (self.run_length_code, self.magnitude_code, self.use_run_length_for_non_zeros)
