"""laplace_rice: a Laplace entropy model for TensorFlow on hand-written kernels.

`LaplaceEntropyModel` quantizes a bottleneck with a straight-through gradient,
penalizes it with `l1 * sum|x|`, and compresses each coding unit to a
run-length Rice/Gamma bit string, byte-identical to tensorflow-compression's
`LaplaceEntropyModel` where that writes decodable strings.

TensorFlow is imported lazily: `import laplace_rice.codec` (the TensorFlow-free
codec) does not load it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "1.0.0"

# Public name -> submodule that defines it (imported on first use).
_LAZY = {
    "LaplaceEntropyModel": "entropy_model",
    "run_length_encode": "ops",
    "run_length_decode": "ops",
    "suggest_code_params": "tuning",
    "CodeParamsSuggestion": "tuning",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
