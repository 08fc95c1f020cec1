"""Merges the harness's and the peers' JSON into one table and checks the
targets at 256 MiB of float32: fused forward >= 85% of copy bandwidth, not
slower than JAX/XLA, >= 2x faster than PyTorch eager.

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

    timings = {(t["op"], t["layout"]): t for t in ours["timings"]}
    if ("copy", "flat") not in timings:
        print(f"no timings in {args.ours} (checks: {ours['checks']})")
        return 1
    copy = timings[("copy", "flat")]
    copy_gbps = copy["bytes"] / copy["ms"] / 1e6
    peer_times = {}
    names = []
    for peer in peers:
        if "skipped" in peer:
            print(f"{peer['impl']}: skipped ({peer['skipped']})")
            continue
        names.append(peer["impl"])
        for t in peer["timings"]:
            peer_times[(peer["impl"], t["op"], t["layout"])] = t["ms"]

    print(
        f"device: {ours['device']}; float32, {ours['mib']} MiB; "
        f"copy (cudaMemcpy D2D): {copy['ms']:.3f} ms, {copy_gbps:.0f} GB/s"
    )
    header = f"{'op':<13} {'layout':<16} {'ours ms':>8} {'GB/s':>6} {'%copy':>6}"
    for name in names:
        header += f" {name + ' ms':>9} {'x' + name:>7}"
    print(header)
    rows = []
    for (op, layout), t in timings.items():
        if op == "copy":
            continue
        gbps = t["bytes"] / t["ms"] / 1e6
        row = dict(
            op=op, layout=layout, ours_ms=t["ms"], gbps=gbps, fraction_of_copy=gbps / copy_gbps
        )
        line = f"{op:<13} {layout:<16} {t['ms']:8.3f} {gbps:6.0f} {100 * gbps / copy_gbps:5.1f}%"
        for name in names:
            peer_ms = peer_times.get((name, op, layout))
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
            verdicts.append(dict(layout=row["layout"], target=what, met=ok))
            print(f"target fused {row['layout']}: {what}: {'MET' if ok else 'NOT MET'}")

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
