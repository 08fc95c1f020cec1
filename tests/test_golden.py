"""Compatibility with tensorflow-compression 2.14.1: its recorded vectors."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import laplace_rice
from conftest import decode_array, decode_strings


def _params(record: dict) -> dict:
    return dict(
        run_length_code=record["run_length_code"],
        magnitude_code=record["magnitude_code"],
        use_run_length_for_non_zeros=record["use_run_length_for_non_zeros"],
    )


def _strings(spec: dict) -> np.ndarray:
    if "hex" in spec:
        return np.array(bytes.fromhex(spec["hex"]), dtype=object)
    return decode_strings(spec)


def test_op_records_match_the_reference(reference_records):
    op_records = [r for r in reference_records if r["kind"] == "op"]
    assert len(op_records) > 900
    wrong_in_reference = 0
    for record in op_records:
        data = decode_array(record["data"])
        params = _params(record)
        reference_code = bytes.fromhex(record["code"]["hex"])
        ours = laplace_rice.run_length_encode(data, **params).numpy()
        if record["reference_roundtrip_ok"]:
            assert ours == reference_code, (record["name"], params)
            # The reference's string decodes with ours.
            decoded = laplace_rice.run_length_decode(reference_code, data.shape, **params)
            np.testing.assert_array_equal(decoded.numpy(), data)
        else:
            # The reference's string is corrupt there (FORMAT.md defect 1).
            wrong_in_reference += 1
            assert ours != reference_code, (record["name"], params)
        decoded = laplace_rice.run_length_decode(ours, data.shape, **params)
        np.testing.assert_array_equal(decoded.numpy(), data, err_msg=record["name"])
    assert wrong_in_reference > 0


@pytest.mark.parametrize("index", range(20))
def test_model_records_match_the_reference(reference_records, index):
    model_records = [r for r in reference_records if r["kind"] == "model"]
    assert len(model_records) == 20
    record = model_records[index]
    x = decode_array(record["x"])
    model = laplace_rice.LaplaceEntropyModel(
        coding_rank=record["coding_rank"],
        l1=0.01,
        bottleneck_dtype=tf.float32,
        **_params(record),
    )
    expected_strings = _strings(record["strings"])
    strings = np.asarray(model.compress(x).numpy(), dtype=object)
    assert strings.shape == expected_strings.shape
    assert strings.tolist() == expected_strings.tolist()

    quantized, penalty = model(x)
    np.testing.assert_array_equal(quantized.numpy(), decode_array(record["quantized"]))
    np.testing.assert_allclose(penalty.numpy(), decode_array(record["penalty"]), rtol=2e-7)
    np.testing.assert_allclose(model.penalty(x).numpy(), penalty.numpy(), rtol=0)

    code_shape = x.shape[x.ndim - record["coding_rank"] :]
    decoded = model.decompress(expected_strings, code_shape)
    np.testing.assert_array_equal(decoded.numpy(), quantized.numpy())
