"""laplace_rice: a Laplace entropy model for TensorFlow on hand-written kernels.

`LaplaceEntropyModel` quantizes a bottleneck with a straight-through gradient,
penalizes it with `l1 * sum|x|`, and compresses each coding unit to a
run-length Rice/Gamma bit string, byte-identical to tensorflow-compression's
`LaplaceEntropyModel` where that writes decodable strings.

TensorFlow is imported lazily: `import laplace_rice` does not load it, nor do
the TensorFlow-free parts (`laplace_rice.codec`, `CodeParams`,
`suggest_code_params`, the container and the `laplace-rice` tool except its
`demo`). The first use of a TensorFlow name (`LaplaceEntropyModel`,
`run_length_encode`, ...) loads TensorFlow and the op library, and checks that
the running TensorFlow is the one the library was built against.
"""

from __future__ import annotations

import importlib
from typing import Any

from laplace_rice._codec import __version__  # codec.h holds the one version

# Public name -> submodule that defines it (imported on first use).
_LAZY = {
    "CodeParams": "params",
    "LaplaceEntropyModel": "entropy_model",
    "run_length_encode": "ops",
    "run_length_decode": "ops",
    "suggest_code_params": "tuning",
    "CodeParamsSuggestion": "tuning",
}

# Submodules reachable as attributes (`laplace_rice.ops.library`) without an
# import statement; `ops`, `entropy_model`, `rate`, `serving` and `demo` load
# TensorFlow.
_SUBMODULES = frozenset(
    {
        "cli",
        "codec",
        "container",
        "demo",
        "entropy_model",
        "ops",
        "params",
        "rate",
        "serving",
        "tuning",
    }
)

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    """Imports the submodule that defines `name` on first use (PEP 562)."""
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
