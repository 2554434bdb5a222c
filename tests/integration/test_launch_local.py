"""Real multi-worker training through the local launcher."""

from __future__ import annotations

import io
import os
import sys
import textwrap

import numpy as np

from tests import helpers
from trainers import launch_local

# A complete multi-worker training run: MultiWorkerMirroredStrategy from
# TF_CONFIG, input sharded per worker, two epochs, checkpoints saved by the
# multi-worker rules, final weights written per worker.
_MULTI_WORKER_TRAIN = textwrap.dedent("""
    import os, sys
    import numpy as np
    from trainers.training import distribute
    strategy = distribute.make_strategy("multi_worker")
    import keras
    import tensorflow as tf
    from tests import helpers

    out_dir = sys.argv[1]
    GLOBAL_BATCH, STEPS_PER_EPOCH, EPOCHS = 8, 4, 2
    rng = np.random.default_rng(0)
    images = rng.normal(size=(GLOBAL_BATCH * STEPS_PER_EPOCH, 6))
    images = images.astype("float32")
    labels = (images[:, 0] > 0).astype("int32")

    def dataset_fn(ctx):
      ds = tf.data.Dataset.from_tensor_slices((images, labels))
      ds = ds.shard(ctx.num_input_pipelines, ctx.input_pipeline_id)
      return ds.repeat().batch(ctx.get_per_replica_batch_size(GLOBAL_BATCH),
                               drop_remainder=True)

    with strategy.scope():
      keras.utils.set_random_seed(1)
      model = keras.Sequential([keras.Input((6,)),
                                keras.layers.Dense(5, activation="relu"),
                                keras.layers.Dense(2)])
      optimizer = keras.optimizers.SGD(0.1)
      loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    step = helpers.make_train_step(model, optimizer, loss_fn)

    @tf.function
    def train_step(iterator):
      losses = strategy.run(step, args=next(iterator))
      return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
    checkpoint_root = os.path.join(out_dir, "checkpoints")
    for epoch in range(EPOCHS):
      for _ in range(STEPS_PER_EPOCH):
        loss = train_step(iterator)
      print(f"epoch {epoch} loss {float(loss):.6f}", flush=True)
      write_dir = distribute.checkpoint_dir_for_worker(checkpoint_root,
                                                       strategy)
      tf.train.CheckpointManager(checkpoint, write_dir, max_to_keep=1).save()
      distribute.remove_worker_checkpoint_dir(checkpoint_root, strategy)
    task = strategy.cluster_resolver.task_id
    np.savez(os.path.join(out_dir, f"weights_{task}.npz"),
             *model.get_weights())
    print("finished", "chief" if distribute.is_chief(strategy) else "worker")
""")


def test_two_workers_train_two_epochs_and_agree(tmp_path):
  script = tmp_path / "train.py"
  script.write_text(_MULTI_WORKER_TRAIN)
  out = io.StringIO()
  code = launch_local.launch([sys.executable, str(script), str(tmp_path)], 2,
                             timeout_s=240, env=helpers.command_env(), out=out)
  log = out.getvalue()
  assert code == 0, log[-4000:]
  assert "[worker 0] finished chief" in log
  assert "[worker 1] finished worker" in log
  for i in range(2):
    assert f"[worker {i}] epoch 1 loss" in log
  first = np.load(tmp_path / "weights_0.npz")
  second = np.load(tmp_path / "weights_1.npz")
  assert len(first.files) == 4
  for name in first.files:
    np.testing.assert_array_equal(first[name], second[name])
  # Only the chief's checkpoint stays; the other worker's went away.
  saved = sorted(os.listdir(tmp_path / "checkpoints"))
  assert "checkpoint" in saved
  assert not [s for s in saved if s.startswith("workertemp")], saved
