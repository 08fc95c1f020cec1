"""Which TensorFlow distribution is installed, and whether laplace_rice supports it.

TensorFlow's import package `tensorflow` comes from one of several
distributions: `tensorflow` (the GPU-capable build; `tensorflow[and-cuda]` is
the same distribution with CUDA wheels added), `tensorflow-cpu`, `tf-nightly`
and `tf-nightly-cpu`. They write the same files, so installing a second one
over the first (what `pip install tensorflow-cpu` does on a GPU machine)
breaks the first. scripts/setup.sh therefore asks this script before
installing anything:

    python3 scripts/detect_tf.py            # one line; the exit status says what to do
      0  "found <dist> <version>"           supported: build against it
      1  "none"                             install tensorflow-cpu in the range
      2  "unsupported <dist> <version> ..." outside the range: stop, say so
      3  "several <dist> <version>, ..."    two distributions over one another: stop
    python3 scripts/detect_tf.py --pip-spec     # what setup.sh installs when none
    python3 scripts/detect_tf.py --requirement  # what a binary wheel built here requires

scripts/build_wheel.sh writes the --requirement line into the wheel's
metadata: the distribution it was built against at that release
(`tensorflow-cpu>=2.21,<2.22`, or `tensorflow>=2.18,<2.19` on a GPU install),
so that pip neither installs a second distribution beside the user's nor a
TensorFlow the op library cannot load.

Python standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import pathlib
import sys
from collections.abc import Iterable
from typing import Any, NamedTuple

# Distributions that provide the `tensorflow` import package, most specific
# first: a GPU user's `tensorflow` must never be replaced by `tensorflow-cpu`.
DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tf-nightly", "tf-nightly-cpu")

# What setup.sh installs where no TensorFlow is: the smaller CPU wheel.
DEFAULT_DISTRIBUTION = "tensorflow-cpu"

_ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_support():
    """python/laplace_rice/_tf_support.py, loaded by path: the package itself
    may not be installed yet (setup.sh runs this first) and importing it
    would not tell which source tree is being built."""
    path = _ROOT / "python" / "laplace_rice" / "_tf_support.py"
    spec = importlib.util.spec_from_file_location("_laplace_rice_tf_support", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


support = _load_support()


class Installed(NamedTuple):
    name: str  # normalized: lower case, dashes
    version: str


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def installed(distributions: Iterable[Any] | None = None) -> list[Installed]:
    """The TensorFlow distributions among `distributions` (default: the
    environment's), in DISTRIBUTIONS order; anything with a `.metadata`
    mapping holding "Name" and "Version" will do (tests pass fakes)."""
    if distributions is None:
        distributions = importlib.metadata.distributions()
    found = {}
    for dist in distributions:
        name = _normalize(dist.metadata["Name"] or "")
        if name in DISTRIBUTIONS:
            found[name] = Installed(name, dist.metadata["Version"])
    return [found[name] for name in DISTRIBUTIONS if name in found]


def requirement(tf: Installed) -> str:
    """The runtime requirement of a build against `tf`: its distribution at
    its major.minor release (custom ops are ABI-bound to it)."""
    major, minor = support.release(tf.version)
    return f"{tf.name}>={major}.{minor},<{major}.{minor + 1}"


def default_spec() -> str:
    """The pip requirement for a machine without TensorFlow."""
    (lo_major, lo_minor), (hi_major, hi_minor) = support.OLDEST, support.NEWEST
    return f"{DEFAULT_DISTRIBUTION}>={lo_major}.{lo_minor},<{hi_major}.{hi_minor + 1}"


def decide(found: list[Installed]) -> tuple[int, str]:
    """(exit status, line) for what is installed; see the module docstring."""
    if not found:
        return 1, "none"
    if len(found) > 1:
        listed = ", ".join(f"{tf.name} {tf.version}" for tf in found)
        return 3, (
            f"several {listed}: these write the same files; keep one "
            f"(pip uninstall the others, then reinstall the one you keep)"
        )
    (tf,) = found
    if not support.supported(tf.version):
        return 2, (
            f"unsupported {tf.name} {tf.version}: laplace_rice supports TensorFlow "
            f"{support.describe()}; install one of those (e.g. pip install "
            f"'{tf.name}>={support.OLDEST[0]}.{support.OLDEST[1]},"
            f"<{support.NEWEST[0]}.{support.NEWEST[1] + 1}')"
        )
    return 0, f"found {tf.name} {tf.version}"


def main(argv: list[str]) -> int:
    if argv == ["--pip-spec"]:
        print(default_spec())
        return 0
    if argv not in ([], ["--requirement"]):
        print(f"usage: {sys.argv[0]} [--pip-spec | --requirement]", file=sys.stderr)
        return 64
    found = installed()
    status, line = decide(found)
    if argv and status == 0:
        line = requirement(found[0])
    print(line)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
