"""tf.data: compress a dataset with Dataset.map, store it as TFRecord shards, read it back.

The strings written by the pipeline must equal `model.compress` on the whole
tensor, and decompressing the records must give `model.quantize`. Per-element
and batched maps produce the same strings (coding units are independent).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import laplace_rice

AUTOTUNE = tf.data.AUTOTUNE
CODE_SHAPE = (6, 5, 4)
NUM_ELEMENTS = 40
NUM_SHARDS = 3


@pytest.fixture(scope="module")
def model():
    return laplace_rice.LaplaceEntropyModel(coding_rank=3, l1=0.01, bottleneck_dtype=tf.float32)


@pytest.fixture(scope="module")
def latents() -> np.ndarray:
    rng = np.random.default_rng(60)
    return rng.laplace(scale=1.2, size=(NUM_ELEMENTS, *CODE_SHAPE)).astype(np.float32)


def write_shards(strings: tf.data.Dataset, paths: list[str]) -> None:
    """Writes element i to shard i % len(paths), in one pass over the dataset."""
    writers = [tf.io.TFRecordWriter(path) for path in paths]
    try:
        for index, string in enumerate(strings):
            writers[index % len(paths)].write(string.numpy())
    finally:
        for writer in writers:
            writer.close()


def read_shards(paths: list[str]) -> tf.data.Dataset:
    """Round-robin over the shards: the records come back in their original order."""
    files = tf.data.Dataset.from_tensor_slices(paths)
    return files.interleave(tf.data.TFRecordDataset, cycle_length=len(paths), block_length=1)


@pytest.fixture(scope="module")
def shards(model, latents, tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("tfrecords")
    paths = [str(folder / f"latents-{i:05d}-of-{NUM_SHARDS:05d}.tfrecord") for i in range(3)]
    dataset = tf.data.Dataset.from_tensor_slices(latents)
    strings = dataset.map(model.compress, num_parallel_calls=AUTOTUNE, deterministic=True)
    write_shards(strings.prefetch(AUTOTUNE), paths)
    return paths


def test_records_are_the_compressed_strings(model, latents, shards):
    records = [r.numpy() for r in read_shards(shards)]
    assert len(records) == NUM_ELEMENTS
    assert records == list(model.compress(latents).numpy())
    # Each shard holds every NUM_SHARDS-th element.
    first_shard = [r.numpy() for r in tf.data.TFRecordDataset(shards[0])]
    assert first_shard == records[::NUM_SHARDS]


def test_decompressed_records_equal_quantize(model, latents, shards):
    decoded = read_shards(shards).map(
        lambda s: model.decompress(s, CODE_SHAPE), num_parallel_calls=AUTOTUNE
    )
    result = np.stack([d.numpy() for d in decoded])
    np.testing.assert_array_equal(result, model.quantize(latents).numpy())


def test_batched_map_gives_the_same_strings(model, latents, shards):
    # One kernel call per batch of 8; unbatch() gives one string per element again.
    strings = (
        tf.data.Dataset.from_tensor_slices(latents)
        .batch(8)
        .map(model.compress, num_parallel_calls=AUTOTUNE)
        .unbatch()
    )
    assert [s.numpy() for s in strings] == [r.numpy() for r in read_shards(shards)]
    decoded = (
        read_shards(shards)
        .batch(8)
        .map(lambda s: model.decompress(s, CODE_SHAPE), num_parallel_calls=AUTOTUNE)
        .unbatch()
    )
    result = np.stack([d.numpy() for d in decoded])
    np.testing.assert_array_equal(result, model.quantize(latents).numpy())


def test_corrupt_record_is_a_data_loss_error(model, shards, tmp_path):
    records = [r.numpy() for r in read_shards(shards)]
    path = str(tmp_path / "corrupt.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        writer.write(records[0])
        writer.write(records[1][: len(records[1]) // 2])  # truncated
        writer.write(records[2])
    decoded = tf.data.TFRecordDataset(path).map(lambda s: model.decompress(s, CODE_SHAPE))
    with pytest.raises(tf.errors.DataLossError):
        list(decoded)
    # A pipeline that must keep going can drop such records.
    kept = list(decoded.ignore_errors())
    assert len(kept) == 2
