"""Runs under the reference's interpreter (tensorflow-compression 2.14.1).

Usage: python reference_side.py CASES.npz OUT.npz
Decodes our strings with the reference's decoder and encodes the same data
with the reference's encoder; writes both for the project side to compare.
"""

import sys

import numpy as np
import tensorflow_compression as tfc


def main(cases_path: str, out_path: str) -> None:
    cases = np.load(cases_path, allow_pickle=True)
    out = {}
    for i in range(int(cases["count"])):
        data = cases[f"data_{i}"]
        rl, mag, nz = (int(v) for v in cases[f"params_{i}"])
        kwargs = dict(run_length_code=rl, magnitude_code=mag, use_run_length_for_non_zeros=bool(nz))
        ours = cases[f"ours_{i}"].item()
        decoded = tfc.run_length_decode(ours, data.shape, **kwargs)
        out[f"decoded_{i}"] = decoded.numpy()
        out[f"theirs_{i}"] = np.array(tfc.run_length_encode(data, **kwargs).numpy(), dtype=object)
    np.savez(out_path, **out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
