"""The TensorFlow releases laplace_rice supports, oldest and newest.

One place for the range: python/laplace_rice/ops.py checks the running
TensorFlow against it at import, cc/tf/CMakeLists.txt refuses to build the op
library for a TensorFlow outside it (reading this file with a regex: keep each
bound on one line as `NAME = (major, minor)`), and scripts/detect_tf.py
(setup.sh, the binary wheel's requirement) loads it by path, before the
package is installed: standard library only.

2.16 is the first release with Keras 3; scripts/compat.sh builds and tests
every release in between (docs/compatibility.md has its last table).
"""

OLDEST = (2, 16)
NEWEST = (2, 21)


def describe() -> str:
    """'2.16 to 2.21', for messages."""
    return f"{OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]}"


def release(version: str) -> tuple[int, int] | None:
    """(major, minor) of a TensorFlow version string; None if it has none."""
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def supported(version: str) -> bool:
    """Whether `version` (e.g. '2.18.1', '2.21.0rc1') is in the range."""
    found = release(version)
    return found is not None and OLDEST <= found <= NEWEST
