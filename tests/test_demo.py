"""`laplace-rice demo --quick`: it trains, compresses, plots, and is deterministic."""

from __future__ import annotations

import io
import re

from laplace_rice import cli
from laplace_rice.demo import QUICK_L1, QUICK_LAMBDA, format_table, run_demo


def test_quick_demo_writes_the_plot_and_a_deterministic_table(tmp_path, capsys):
    png = tmp_path / "rd.png"
    assert cli.main(["demo", "--quick", "--output", str(png)]) == 0
    out = capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000  # a real figure, not an empty canvas

    table = out.split("\n\n")[1].strip("\n")
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["loss", "weight", "bits/pixel", "PSNR"]
    assert [(line.split()[0], float(line.split()[1])) for line in lines[1:]] == [
        *(("l1", v) for v in QUICK_L1),
        *(("rate", v) for v in QUICK_LAMBDA),
    ]
    # compress/decompress round trip, and rate() == the strings' sizes
    assert all(line.endswith("OK") for line in lines[1:])

    # A second run with the same seed gives the same numbers, digit for digit.
    rows = run_demo(quick=True, output=None, stream=io.StringIO())
    assert format_table(rows) == table
    # Op determinism (process-wide) is the caller's again: left on, it would
    # make Keras refuse jit_compile=True in later code (tests/test_keras.py).
    from tensorflow.python.framework import config

    assert not config.is_op_determinism_enabled()

    # More l1 (more lambda), fewer bits and a lower PSNR; the real size is
    # measured, not estimated.
    for low, high in (rows[:2], rows[2:]):
        assert high.bits_per_pixel < low.bits_per_pixel
        assert high.psnr < low.psnr
        assert 0 < low.bits_per_pixel < 8 and low.psnr > 10
    for row in rows[:2]:
        assert row.loss == "l1" and row.bits_per_pixel > row.estimate_bits_per_pixel > 0
    for row in rows[2:]:
        assert row.loss == "rate" and row.surrogate_bits_per_pixel > 0
    assert re.search(r"train l1=0\.03 +\[#+\] 100%", out)
    assert re.search(r"train rate=0\.005 +\[#+\] 100%", out)
