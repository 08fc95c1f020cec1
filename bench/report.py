"""The report: the targets, the machine, and the tables printed from the JSON."""

from __future__ import annotations

import math
import os
import platform

from common import MI

TARGETS = dict(A=500.0, B=10.0, C=10.0)
# B through the model, in rounds of calls back to back (workloads.time_rounds).
ROUNDS_GOAL = 25.0


def fmt(value, spec=".1f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def print_tables(report: dict) -> None:
    print(f"\nlaplace_rice benchmark, {report['date']}, {report['machine']['summary']}")
    print("Throughput in M elements/s (median, wall clock); ratio = ours / reference.\n")
    head = (
        "| workload | params | bits/elt | entropy | compress ours | ref | ratio "
        "| decompress ours | ref | ratio | same bytes |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for row in report["workloads"]:
        ref = row.get("reference") or {}
        print(
            f"| {row['name']} {row['what']} | {row['params_label']} "
            f"| {row['bits_per_element']:.3f} | {row['entropy_bits_per_element']:.3f} "
            f"| {fmt(row['ours']['compress_meps'])} | {fmt(ref.get('compress_meps'), '.3g')} "
            f"| {fmt(row.get('compress_ratio'), '.0f')}x "
            f"| {fmt(row['ours']['decompress_meps'])} | {fmt(ref.get('decompress_meps'), '.3g')} "
            f"| {fmt(row.get('decompress_ratio'), '.0f')}x | {row.get('same_bytes', '-')} |"
        )
    raw = report.get("raw_codecs")
    if raw:
        print(f"\nRaw codecs on B (int32 symbols, single thread; ours via {raw['ours']['via']}):\n")
        print("| coder | bits/elt | encode M/s | decode M/s | round trip |")
        print("|---|---|---|---|---|")
        for r in [dict(name="laplace_rice (defaults)", **raw["ours"])] + raw["peers"]:
            if "error" in r:
                print(f"| {r['name']} | - | - | - | {r['error']} |")
                continue
            print(
                f"| {r['name']} | {r['bits_per_element']:.3f} | {r['encode_meps']:.1f} "
                f"| {r['decode_meps']:.1f} | {'ok' if r['round_trip_ok'] else 'FAIL'} |"
            )
        print(f"| (entropy) | {raw['entropy_bits_per_element']:.3f} | | | |")
    rounds = [row for row in report["workloads"] if row.get("rounds")]
    if rounds:
        print("\nB in rounds, calls back to back (ours with .numpy()), reference / ours per round:")
        for row in rounds:
            for op, r in row["rounds"].items():
                each = ", ".join(f"{ratio:.1f}x" for ratio in r["ratios"])
                print(f"  {row['params_label']:32} {op:10} {each}; median {r['median_ratio']:.1f}x")
    bits = report.get("bits_vs_compress")
    if bits:
        print(
            f"\nbits() on B: {bits['bits_meps']:.1f} M/s vs compress {bits['compress_meps']:.1f} "
            f"M/s (alternating call by call): {bits['ratio']:.2f}x"
        )
    rows = report.get("scaling")
    if rows:
        print("\nScaling, one unit (ns/element, best of the runs; flat = linear):\n")
        print("| elements | compress | decompress | bits() |")
        print("|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['elements'] // MI} Mi | {r['compress_ns_per_element']:.2f} "
                f"| {r['decompress_ns_per_element']:.2f} | {r['bits_ns_per_element']:.2f} |"
            )
    if report.get("rate"):
        print_rate(report["rate"])
    mem = report.get("memory")
    if mem:
        print(
            f"\nMemory: compressing {mem['input_bytes'] / 2**30:.2f} GiB float32 (one unit) "
            f"raised peak RSS by {mem['peak_rise_bytes'] / MI:.1f} MiB; output "
            f"{mem['output_bytes'] / MI:.1f} MiB; bound 2 x output + 300 MiB = "
            f"{mem['bound_bytes'] / MI:.1f} MiB: {'within' if mem['within_bound'] else 'OVER'}"
        )
    print("\nTargets:")
    for target in report["targets"]:
        print(f"  [{'met' if target['met'] else 'MISSED'}] {target['what']}: {target['value']}")


def print_rate(rate: dict) -> None:
    print(
        f"\nrate() on {rate['shape']} (coding_rank 3, defaults), M elements/s: "
        f"bits() {rate['bits_meps']:.1f}, rate() forward {rate['rate_meps']:.1f}; "
        f"training step (forward + backward): model(x) {rate['step_model_meps']:.1f}, "
        f"model(x) + rate(x) {rate['step_model_rate_meps']:.1f} "
        f"({rate['step_overhead']:.2f}x the time); with jit_compile=True: "
        f"{rate['jit_step_model_meps']:.1f} and {rate['jit_step_model_rate_meps']:.1f} "
        f"({rate['jit_step_overhead']:.2f}x)"
    )


def targets(report: dict) -> list[dict]:
    out = []
    for row in report["workloads"]:
        goal = TARGETS[row["name"]]
        for op in ("compress", "decompress"):
            ratio = row.get(f"{op}_ratio")
            if ratio is None:
                continue
            out.append(
                dict(
                    what=f"{row['name']} ({row['params_label']}) {op} >= {goal:.0f}x reference",
                    value=f"{ratio:.1f}x",
                    met=ratio >= goal,
                )
            )
    for row in report["workloads"]:
        for op, rounds in row.get("rounds", {}).items():
            out.append(
                dict(
                    what=f"{row['name']} ({row['params_label']}) {op} >= {ROUNDS_GOAL:.0f}x "
                    "reference, median of 3 rounds of calls back to back",
                    value=f"{rounds['median_ratio']:.1f}x",
                    met=rounds["median_ratio"] >= ROUNDS_GOAL,
                )
            )
    raw = report.get("raw_codecs")
    if raw:
        fits = next(
            (p for p in raw["peers"] if p["name"].startswith("FITS") and "error" not in p), None
        )
        if fits:
            for op in ("encode", "decode"):
                ratio = raw["ours"][f"{op}_meps"] / fits[f"{op}_meps"]
                out.append(
                    dict(
                        what=f"raw codec {op} faster than FITS Rice",
                        value=f"{ratio:.2f}x",
                        met=ratio > 1,
                    )
                )
    bits = report.get("bits_vs_compress")
    if bits:
        out.append(
            dict(
                what="bits() >= 3x compress on B",
                value=f"{bits['ratio']:.2f}x",
                met=bits["ratio"] >= 3,
            )
        )
    rows = report.get("scaling")
    if rows:
        # Linear: the cost per element does not grow with the size (noise aside).
        growth = rows[-1]["compress_ns_per_element"] / rows[0]["compress_ns_per_element"]
        sizes = f"{rows[0]['elements'] // MI} Mi..{rows[-1]['elements'] // MI} Mi"
        out.append(
            dict(
                what=f"compress linear in size, {sizes} (ns/element largest / smallest <= 1.5)",
                value=f"{growth:.2f}",
                met=growth <= 1.5,
            )
        )
    mem = report.get("memory")
    if mem:
        out.append(
            dict(
                what="peak RSS rise <= 2 x output + 300 MiB",
                value=f"{mem['peak_rise_bytes'] / MI:.1f} MiB of {mem['bound_bytes'] / MI:.1f} MiB",
                met=mem["within_bound"],
            )
        )
    return out


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    cores = os.cpu_count()
    return dict(
        cpu=cpu,
        cores=cores,
        load_average_start=load,
        python=platform.python_version(),
        summary=f"{cpu}, {cores} cores, load average {load[0]:.1f} at start",
    )
