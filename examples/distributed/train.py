"""Trains a small autoencoder with the Laplace penalty under tf.distribute.

The bottleneck goes through `LaplaceEntropyModel.__call__` (quantize with a
straight-through gradient, and the `l1 * sum|y|` penalty) inside a
`tf.function` training step run by a distribution strategy:

  # two logical CPU devices in one process (MirroredStrategy)
  python examples/distributed/train.py --strategy mirrored --logical-cpus 2

  # two worker processes on loopback ports (MultiWorkerMirroredStrategy);
  # the launcher sets TF_CONFIG for each and waits for both
  python examples/distributed/train.py --strategy multi_worker --local-workers 2

  # one worker of a real cluster: set TF_CONFIG yourself on every machine
  TF_CONFIG='{"cluster": {"worker": ["host0:12345", "host1:12345"]},
              "task": {"type": "worker", "index": 0}}' \\
    python examples/distributed/train.py --strategy multi_worker

Each process writes a JSON report (losses per step, final variables) to
`--out`. The update is plain SGD on gradients summed over all replicas with an
explicit all-reduce, so every replica applies the same update.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time

GLOBAL_BATCH = 32
DIM, LATENT = 16, 8
LEARNING_RATE = 0.01
DISTORTION_WEIGHT = 1.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--strategy", choices=["mirrored", "multi_worker", "default"], default="mirrored"
    )
    parser.add_argument(
        "--logical-cpus",
        type=int,
        default=2,
        help="mirrored: split the CPU into this many logical devices",
    )
    parser.add_argument(
        "--local-workers",
        type=int,
        default=0,
        help="multi_worker: launch this many workers on loopback ports",
    )
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--out", default="", help="JSON report (launcher: a folder)")
    parser.add_argument("--timeout", type=float, default=120.0, help="launcher: seconds")
    return parser.parse_args(argv)


# --- launcher: N local workers, each with its own TF_CONFIG --------------------


def free_loopback_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def launch_local_workers(args: argparse.Namespace) -> int:
    """Runs this script once per worker; returns 0 if all of them succeeded."""
    out_dir = args.out or "."
    os.makedirs(out_dir, exist_ok=True)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in free_loopback_ports(args.local_workers)]}
    workers = []
    for index in range(args.local_workers):
        tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, TF_CONFIG=json.dumps(tf_config))
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--strategy",
            "multi_worker",
            "--steps",
            str(args.steps),
            "--out",
            os.path.join(out_dir, f"worker-{index}.json"),
        ]
        workers.append(subprocess.Popen(command, env=env))
    deadline = time.monotonic() + args.timeout
    codes = []
    for worker in workers:
        try:
            codes.append(worker.wait(timeout=max(1.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            codes.append(None)
    for worker, code in zip(workers, codes, strict=True):
        if code is None:  # a worker that hangs waits for a dead peer: stop it
            worker.kill()
            worker.wait()
    print(f"workers exited with {codes}")
    return 0 if all(code == 0 for code in codes) else 1


# --- one training process -------------------------------------------------------


def make_strategy(args: argparse.Namespace):
    import tensorflow as tf

    if args.strategy == "mirrored":
        # Logical devices must be configured before TensorFlow initializes them.
        cpu = tf.config.list_physical_devices("CPU")[0]
        logical = [tf.config.LogicalDeviceConfiguration() for _ in range(args.logical_cpus)]
        tf.config.set_logical_device_configuration(cpu, logical)
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if args.strategy == "multi_worker":
        # On CPUs the collectives run over gRPC with the ring algorithm.
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING
        )
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    return tf.distribute.get_strategy()


def make_dataset(input_context):
    """Per input pipeline: different examples, same hidden structure (a mixing matrix)."""
    import numpy as np
    import tensorflow as tf

    mixing = np.random.default_rng(0).normal(size=(LATENT, DIM)).astype(np.float32)
    rng = np.random.default_rng(100 + input_context.input_pipeline_id)
    latent = rng.laplace(scale=2.0, size=(1024, LATENT)).astype(np.float32)
    batch = input_context.get_per_replica_batch_size(GLOBAL_BATCH)
    return tf.data.Dataset.from_tensor_slices(latent @ mixing).repeat().batch(batch)


class Autoencoder:
    """x -> y = x A -> (quantize(y), penalty(y)) -> x_hat = quantize(y) S."""

    def __init__(self):
        import tensorflow as tf

        import laplace_rice

        # Replicas apply identical (all-reduced) updates: take the first one's.
        aggregation = tf.VariableAggregation.ONLY_FIRST_REPLICA
        self.analysis = tf.Variable(
            tf.random.stateless_normal([DIM, LATENT], seed=[1, 2]) * 0.3,
            name="analysis",
            aggregation=aggregation,
        )
        self.synthesis = tf.Variable(
            tf.random.stateless_normal([LATENT, DIM], seed=[3, 4]) * 0.3,
            name="synthesis",
            aggregation=aggregation,
        )
        self.entropy_model = laplace_rice.LaplaceEntropyModel(coding_rank=1, l1=0.01)

    @property
    def variables(self):
        return [self.analysis, self.synthesis]

    def per_example_loss(self, x):
        import tensorflow as tf

        y_hat, penalty = self.entropy_model(tf.matmul(x, self.analysis))
        distortion = tf.reduce_mean(tf.square(x - tf.matmul(y_hat, self.synthesis)), axis=-1)
        return DISTORTION_WEIGHT * distortion + penalty


def train(args: argparse.Namespace) -> dict:
    import tensorflow as tf

    strategy = make_strategy(args)
    with strategy.scope():
        model = Autoencoder()
    initial = [v.numpy() for v in model.variables]
    batches = iter(strategy.distribute_datasets_from_function(make_dataset))

    def replica_step(x):
        with tf.GradientTape() as tape:
            loss = tf.nn.compute_average_loss(
                model.per_example_loss(x), global_batch_size=GLOBAL_BATCH
            )
        grads = tape.gradient(loss, model.variables)
        grads = tf.distribute.get_replica_context().all_reduce("SUM", grads)
        for variable, grad in zip(model.variables, grads, strict=True):
            variable.assign_sub(LEARNING_RATE * grad)
        return loss

    @tf.function
    def train_step(iterator):
        losses = strategy.run(replica_step, args=(next(iterator),))
        return strategy.reduce("SUM", losses, axis=None)

    losses = [float(train_step(batches)) for _ in range(args.steps)]
    replicas = {
        v.name.split(":")[0]: [t.numpy().tolist() for t in strategy.experimental_local_results(v)]
        for v in model.variables
    }
    return {
        "strategy": type(strategy).__name__,
        "num_replicas_in_sync": strategy.num_replicas_in_sync,
        "task": json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {}),
        "losses": losses,
        "variables": replicas,
        "max_change": [
            float(abs(v.numpy() - i).max()) for v, i in zip(model.variables, initial, strict=True)
        ],
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.strategy == "multi_worker" and args.local_workers:
        return launch_local_workers(args)
    report = train(args)
    print(
        f"{report['strategy']} x{report['num_replicas_in_sync']}: "
        f"loss {report['losses'][0]:.3f} -> {report['losses'][-1]:.3f}"
    )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
