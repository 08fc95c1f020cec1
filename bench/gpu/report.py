"""Merges the harness's and the peers' JSON into one table and checks the
targets at 256 MiB (float32, float16, bfloat16; each against a device copy of
the same bytes): fused forward >= 85% of copy bandwidth, not slower than
JAX/XLA, >= 2x faster than PyTorch eager. Rows without a dtype are float32.

    python report.py OURS.json PEER.json... --out MERGED.json
"""

from __future__ import annotations

import argparse
import json


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("ours")
    parser.add_argument("peers", nargs="*")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.ours) as f:
        ours = json.load(f)
    peers = []
    for path in args.peers:
        with open(path) as f:
            peers.append(json.load(f))

    def key(t):
        return (t.get("dtype", "float32"), t["op"], t["layout"])

    timings = {key(t): t for t in ours["timings"]}
    if ("float32", "copy", "flat") not in timings:
        print(f"no timings in {args.ours} (checks: {ours['checks']})")
        return 1
    copies = {k[0]: t for k, t in timings.items() if k[1] == "copy"}
    copy_gbps_of = {d: t["bytes"] / t["ms"] / 1e6 for d, t in copies.items()}
    copy = copies["float32"]
    copy_gbps = copy_gbps_of["float32"]
    peer_times = {}
    names = []
    for peer in peers:
        if "skipped" in peer:
            print(f"{peer['impl']}: skipped ({peer['skipped']})")
            continue
        names.append(peer["impl"])
        for t in peer["timings"]:
            peer_times[(peer["impl"],) + key(t)] = t["ms"]

    print(
        f"device: {ours['device']}; {ours['mib']} MiB; "
        f"copy (cudaMemcpy D2D, float32 run): {copy['ms']:.3f} ms, {copy_gbps:.0f} GB/s"
    )
    header = f"{'dtype':<9} {'op':<13} {'layout':<16} {'ours ms':>8} {'GB/s':>6} {'%copy':>6}"
    for name in names:
        header += f" {name + ' ms':>9} {'x' + name:>7}"
    print(header)
    rows = []
    for (dtype, op, layout), t in timings.items():
        if op == "copy":
            continue
        gbps = t["bytes"] / t["ms"] / 1e6
        fraction = gbps / copy_gbps_of.get(dtype, copy_gbps)
        row = dict(
            dtype=dtype, op=op, layout=layout, ours_ms=t["ms"], gbps=gbps, fraction_of_copy=fraction
        )
        line = f"{dtype:<9} {op:<13} {layout:<16} {t['ms']:8.3f} {gbps:6.0f} {100 * fraction:5.1f}%"
        for name in names:
            peer_ms = peer_times.get((name, dtype, op, layout))
            row[f"{name}_ms"] = peer_ms
            if peer_ms is None:
                line += f" {'-':>9} {'-':>7}"
            else:
                line += f" {peer_ms:9.3f} {peer_ms / t['ms']:6.2f}x"
        rows.append(row)
        print(line)

    # Targets, for the fused forward of every layout.
    verdicts = []
    for row in rows:
        if row["op"] != "fused":
            continue
        checks = [(">= 85% of copy", row["fraction_of_copy"] >= 0.85)]
        if row.get("jax_ms") is not None:
            checks.append(("not slower than JAX/XLA", row["ours_ms"] <= row["jax_ms"]))
        if row.get("torch_ms") is not None:
            checks.append((">= 2x PyTorch eager", row["torch_ms"] >= 2 * row["ours_ms"]))
        for what, ok in checks:
            verdicts.append(dict(dtype=row["dtype"], layout=row["layout"], target=what, met=ok))
            print(
                f"target fused {row['dtype']} {row['layout']}: {what}: {'MET' if ok else 'NOT MET'}"
            )

    with open(args.out, "w") as f:
        json.dump(
            dict(
                device=ours["device"],
                mib=ours["mib"],
                checks=ours["checks"],
                copy_ms=copy["ms"],
                copy_gbps=copy_gbps,
                rows=rows,
                targets=verdicts,
                peers_skipped={p["impl"]: p["skipped"] for p in peers if "skipped" in p},
            ),
            f,
            indent=1,
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
