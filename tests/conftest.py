"""Shared fixtures. Tests run from tests/ against the installed package."""

from __future__ import annotations

import base64
import json
import os
import pathlib

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATA_DIR = pathlib.Path(__file__).resolve().parent / "data"


def decode_array(spec: dict) -> np.ndarray:
    """An array stored as {"dtype", "shape", "b64"} in reference-vectors.json."""
    raw = base64.b64decode(spec["b64"])
    return np.frombuffer(raw, dtype=spec["dtype"]).reshape(spec["shape"])


def decode_strings(spec: dict) -> np.ndarray:
    """An array of strings stored as {"strings_hex", "shape"}."""
    flat = [bytes.fromhex(s) for s in spec["strings_hex"]]
    return np.array(flat, dtype=object).reshape(spec["shape"])


@pytest.fixture(scope="session")
def reference_records() -> list[dict]:
    with open(DATA_DIR / "reference-vectors.json") as f:
        return json.load(f)["records"]
