"""Writes tests/data/golden_ops.txt from tests/data/reference-vectors.json.

The C++ codec tests read the op records in this plain form (no JSON parser):
one line per record,
    <run_length_code> <magnitude_code> <use_run_length_for_non_zeros 0|1>
    <reference_roundtrip_ok 0|1> <count> <values...> <code hex or ->
Run from the repository root: python tests/tools/golden_to_text.py
"""

import base64
import json
import pathlib

import numpy as np

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


def main() -> None:
    records = json.loads((DATA / "reference-vectors.json").read_text())["records"]
    lines = []
    for record in records:
        if record["kind"] != "op":
            continue
        array = record["data"]
        values = np.frombuffer(base64.b64decode(array["b64"]), dtype=array["dtype"])
        fields = [
            record["run_length_code"],
            record["magnitude_code"],
            int(record["use_run_length_for_non_zeros"]),
            int(record["reference_roundtrip_ok"]),
            values.size,
            *values.tolist(),
            record["code"]["hex"] or "-",
        ]
        lines.append(" ".join(str(f) for f in fields))
    (DATA / "golden_ops.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
