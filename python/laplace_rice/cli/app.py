"""The argument parser of `laplace-rice` and `main`, which runs one command."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from laplace_rice.cli import commands
from laplace_rice.cli.arrays import DEFAULT_CHUNK_BYTES
from laplace_rice.cli.errors import describe
from laplace_rice.params import GAMMA, MAX_RICE_PARAMETER

__all__ = ["build_parser", "main"]


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _rice_parameter(text: str) -> int:
    value = int(text)
    # Gamma is spelled -1 here, as in the container and in `info`.
    if not GAMMA <= value <= MAX_RICE_PARAMETER:
        raise argparse.ArgumentTypeError(
            f"must be -1 (gamma) or 0 to {MAX_RICE_PARAMETER}, got {value}"
        )
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
    from laplace_rice import __version__

    parser = argparse.ArgumentParser(
        prog="laplace-rice",
        description="Compress arrays with the run-length Rice/Gamma code of "
        "LaplaceEntropyModel, and see what it does in a training demo.",
    )
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
    p.set_defaults(func=commands.compress)

    p = sub.add_parser("decompress", help="decompress a container into a .npy array")
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT.npy")
    _add_streaming_options(p)
    p.set_defaults(func=commands.decompress)

    p = sub.add_parser("info", help="print a container's header and check its checksums")
    p.add_argument("input", metavar="IN")
    p.set_defaults(func=commands.info)

    p = sub.add_parser("tune", help="suggest code parameters for a .npy array")
    p.add_argument("input", metavar="IN.npy")
    p.add_argument("--coding-rank", type=_non_negative, help="as for compress")
    p.set_defaults(func=commands.tune)

    p = sub.add_parser("demo", help="train an autoencoder on digits; plot rate vs distortion")
    p.add_argument("--quick", action="store_true", help="2 l1 values, few epochs (seconds)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--output", default="rate_distortion.png", help="the plot (default rate_distortion.png)"
    )
    p.add_argument("--l1", type=float, nargs="+", help="l1 values to train (one model each)")
    p.add_argument("--epochs", type=_positive, help="training epochs per l1 value")
    p.set_defaults(func=commands.demo)
    return parser


def _ignore_file_size_signal() -> None:
    """Makes writing past `ulimit -f` an EFBIG error instead of a SIGXFSZ kill.

    The python executable ignores SIGXFSZ already; this covers a host that
    embeds Python without its signal setup. Only the main thread may set it.
    """
    if hasattr(signal, "SIGXFSZ"):
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        except ValueError:  # not the main thread: the host's choice stands
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `laplace-rice` command line tool.

    Args:
      argv: The arguments (default: `sys.argv[1:]`).

    Returns:
      The exit status: 0 on success, 1 on an error (reported as one line on
      stderr), 2 on a usage error, 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    _ignore_file_size_signal()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("laplace-rice: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # every failure is one line, never a traceback
        if os.environ.get("LAPLACE_RICE_DEBUG"):
            raise
        print(f"laplace-rice: error: {describe(error)}", file=sys.stderr)
        return 1
