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

Coding runs on `laplace_rice.codec` (the same strings as the TensorFlow ops);
only `demo` imports TensorFlow, so the other commands start in a fraction of
a second.

Modules, one job each: `arrays` (.npy headers, units read with plain reads:
chunks, samples),
`pipelines` (compress/decompress a file), `outputs` (temporary names, fsync,
atomic rename, removing the temporary files of killed runs), `commands` (one
function per subcommand), `app` (the argument parser and `main`), `errors`
(one-line reports); the progress bar is `laplace_rice.progress`.

Outputs are written under `OUT.tmp-<pid>` in OUT's folder and renamed into
place when complete, so a killed run, a full disk or a size limit never
leaves a partial file under OUT; the next run for OUT removes temporary files
of processes that no longer exist.
"""

from __future__ import annotations

from laplace_rice.cli.app import build_parser, main
from laplace_rice.cli.arrays import DEFAULT_CHUNK_BYTES, TUNE_SAMPLE_ELEMENTS, default_coding_rank
from laplace_rice.cli.errors import CliError
from laplace_rice.cli.pipelines import PROGRESS_MIN_BYTES, compress_file, decompress_file
from laplace_rice.progress import ProgressBar

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "PROGRESS_MIN_BYTES",
    "TUNE_SAMPLE_ELEMENTS",
    "CliError",
    "ProgressBar",
    "build_parser",
    "compress_file",
    "decompress_file",
    "default_coding_rank",
    "main",
]
