"""laplace_rice vs the reference (tensorflow-compression 2.14.1) and other coders.

One command, from the repository root, with laplace_rice installed:

    python bench/run.py [--quick] [--json PATH] [--skip-reference]

It sets up the reference's side venv (bench/setup_reference.sh, idempotent),
times both sides on the same data (the reference in a subprocess with its own
interpreter), prints tables with ours, the reference and their ratio, and
writes every figure to JSON (default bench/results.json). See docs/benchmark.md.

Workloads (float32 Laplace data, scale 2; default code parameters and the
parameters `suggest_code_params` picks):
  A  10,000 coding units of 64 elements (coding_rank=1)
  B  1 coding unit of 4,194,304 elements
  C  a [16, 64, 64, 192] latent tensor, coding_rank=3
Then the speed rows of bench/speed.py (a scale sweep of the codec, the model
against the codec on B with .numpy(), small calls).
Times are medians of >= 5 runs after a warm-up (3 with --quick), wall clock; ours and
the reference alternate call by call, so that both see the same load. On B, also
three alternating rounds of calls back to back (15 of ours with .numpy(), 3 of
the reference's), as a training or serving loop makes them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The modules beside this file, one per job (Python puts bench/ on the path):
# common (data, clock, units), workloads (ours, model level), reference (the
# reference's side), peers (raw codecs on B), report (targets and tables),
# speed (the speed rows; also a script of its own).
import numpy as np  # noqa: E402
import speed  # noqa: E402
from common import HERE, entropy_bits, laplace, log, meps  # noqa: E402
from peers import our_raw_codec, peers  # noqa: E402
from reference import Reference, add_reference, setup_reference  # noqa: E402
from report import machine, print_rate, print_tables, targets  # noqa: E402
from workloads import (  # noqa: E402
    DEFAULTS,
    WORKLOADS,
    memory_check,
    params_label,
    rate_overhead,
    scaling,
    time_rounds,
    time_workload,
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run: 3 repeats, smaller sizes")
    parser.add_argument("--json", default=os.path.join(HERE, "results.json"), help="output JSON")
    parser.add_argument("--skip-reference", action="store_true", help="ours and peers only")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per figure")
    parser.add_argument(
        "--from-json", help="print the tables of an earlier run's JSON, run nothing"
    )
    parser.add_argument(
        "--rate-only", action="store_true", help="time rate() beside model(x) only, write no JSON"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            report = json.load(f)
        report["targets"] = targets(report)
        print_tables(report)
        if "speed" in report:
            speed.print_speed(report["speed"])
        return 0
    repeats = args.repeats or (3 if args.quick else 5)
    import tensorflow as tf

    rate_shape = (4, 16, 16, 192) if args.quick else (8, 32, 32, 192)
    if args.rate_only:
        print_rate(rate_overhead(tf, rate_shape, repeats))
        return 0

    import laplace_rice
    from laplace_rice.tuning import suggest_code_params

    report = dict(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(),
        quick=args.quick,
        repeats=repeats,
        versions=dict(laplace_rice=laplace_rice.__version__, tensorflow=tf.__version__),
    )
    if not args.skip_reference:
        setup_reference()
    workdir = tempfile.mkdtemp(prefix="laplace_rice_bench_")
    reference = None if args.skip_reference else Reference()
    try:
        rows = []
        if reference:
            report["versions"]["reference"] = reference.versions
        for seed, (name, shape, rank, what) in enumerate(WORKLOADS):
            x = laplace(shape, seed=seed)
            path = os.path.join(workdir, f"{name}.npy")
            np.save(path, x)
            symbols = np.rint(x).astype(np.int32)
            tuned = suggest_code_params(symbols, coding_rank=rank).as_kwargs()
            for kind, params in (("default", DEFAULTS), ("tuned", tuned)):
                log(f"{name} {kind}: ours and the reference, alternating")
                if reference:
                    # The reference's A takes ~10 s per call: --quick times its
                    # first 1,000 units.
                    limit = 1000 if (args.quick and name == "A") else None
                    reference.command(
                        dict(
                            cmd="load", npy=path, coding_rank=rank, params=params, units_limit=limit
                        )
                    )
                rounds = None
                if reference and name == "B":
                    rounds = time_rounds(tf, x, params, reference)
                timed = time_workload(tf, x, rank, params, repeats, reference)
                ours = timed["ours"]
                row = dict(
                    name=name,
                    what=what,
                    shape=list(shape),
                    coding_rank=rank,
                    params_kind=kind,
                    params=params,
                    params_label=f"{kind}: {params_label(params)}",
                    elements=int(x.size),
                    bits_per_element=8 * ours["bytes"] / x.size,
                    entropy_bits_per_element=entropy_bits(symbols),
                    ours=dict(
                        ours,
                        compress_meps=meps(x.size, ours["compress_s"]),
                        decompress_meps=meps(x.size, ours["decompress_s"]),
                        bits_meps=meps(x.size, ours["bits_s"]),
                        compress_beside_bits_meps=meps(x.size, ours["compress_beside_bits_s"]),
                    ),
                )
                if rounds:
                    row["rounds"] = rounds
                rows.append(row)
                if timed["reference"]:
                    add_reference(row, timed["reference"])
        report["workloads"] = rows

        log("raw codecs on B")
        b = laplace(WORKLOADS[1][1], seed=1)
        symbols = np.rint(b).astype(np.int32)
        raw_ours = our_raw_codec(symbols, DEFAULTS, repeats, workdir)
        peer_rows = peers(symbols, repeats)
        for r in [raw_ours, *peer_rows]:
            if "error" not in r:
                r["bits_per_element"] = 8 * r["bytes"] / symbols.size
                r["encode_meps"] = meps(symbols.size, r["encode_s"])
                r["decode_meps"] = meps(symbols.size, r["decode_s"])
        report["raw_codecs"] = dict(
            ours=raw_ours, peers=peer_rows, entropy_bits_per_element=entropy_bits(symbols)
        )

        b_default = rows[2]["ours"]
        report["bits_vs_compress"] = dict(
            bits_meps=b_default["bits_meps"],
            compress_meps=b_default["compress_beside_bits_meps"],
            ratio=b_default["bits_meps"] / b_default["compress_beside_bits_meps"],
        )
        log("scaling")
        sizes = [1, 2, 4, 8, 16] if args.quick else [1, 2, 4, 8, 16, 32, 64]
        report["scaling"] = scaling(tf, sizes, repeats)
        log("rate()")
        report["rate"] = rate_overhead(tf, rate_shape, repeats)
        log("speed rows: scale sweep, model against codec, small calls")
        report["speed"] = speed.run(args.quick)
        log("memory")
        report["memory"] = memory_check(0.25 if args.quick else 1.0)
        report["machine"]["load_average_end"] = os.getloadavg()
        report["targets"] = targets(report)
    finally:
        if reference:
            reference.close()
        shutil.rmtree(workdir, ignore_errors=True)

    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
    print_tables(report)
    speed.print_speed(report["speed"])
    print(f"\nAll figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
