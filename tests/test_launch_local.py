"""The local multi-worker launcher, and real multi-worker training with it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

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

    @tf.function
    def train_step(iterator):
      def step(x, y):
        with tf.GradientTape() as tape:
          loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss
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


@pytest.mark.slow
def test_two_workers_train_two_epochs_and_agree(tmp_path):
  script = tmp_path / "train.py"
  script.write_text(_MULTI_WORKER_TRAIN)
  out = io.StringIO()
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  code = launch_local.launch([sys.executable, str(script), str(tmp_path)], 2,
                             timeout_s=240, env=env, out=out)
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


def _python(code: str) -> list[str]:
  return [sys.executable, "-c", textwrap.dedent(code)]


_INDEX = ("import json, os; "
          "i = json.loads(os.environ['TF_CONFIG'])['task']['index']")


def test_each_worker_gets_its_own_index_in_one_loopback_cluster():
  out = io.StringIO()
  code = launch_local.launch(
      _python("import os; print(os.environ['TF_CONFIG'])"), 3, out=out)
  assert code == 0
  configs = {}
  for line in out.getvalue().splitlines():
    prefix, text = line.split("] ", 1)
    configs[int(prefix.split()[-1])] = json.loads(text)
  assert sorted(configs) == [0, 1, 2]
  workers = configs[0]["cluster"]["worker"]
  assert len(set(workers)) == 3
  assert all(w.startswith("localhost:") for w in workers)
  for i, config in configs.items():
    assert config["cluster"]["worker"] == workers
    assert config["task"] == {"type": "worker", "index": i}


def test_a_failing_worker_stops_the_others_and_sets_the_exit_code():
  out = io.StringIO()
  code = launch_local.launch(_python(f"""
      import sys, time
      {_INDEX}
      if i == 1:
        sys.exit(3)
      time.sleep(120)
      print("should have been stopped")
  """), 3, timeout_s=100, out=out, grace_s=2)
  assert code == 3
  assert "should have been stopped" not in out.getvalue()
  assert "exited with 3" in out.getvalue()


def test_timeout_stops_every_worker():
  out = io.StringIO()
  code = launch_local.launch(
      _python("import time; time.sleep(120); print('not stopped')"), 2,
      timeout_s=1, out=out, grace_s=2)
  assert code == launch_local.TIMEOUT_EXIT_CODE
  assert "timeout" in out.getvalue()
  assert "not stopped" not in out.getvalue()


def test_a_worker_killed_by_a_signal_counts_as_128_plus_signal():
  code = launch_local.launch(
      _python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"), 1,
      out=io.StringIO())
  assert code == 128 + 9


def test_launch_needs_a_command_and_a_worker():
  with pytest.raises(ValueError, match="after `--`"):
    launch_local.launch([], 2)
  with pytest.raises(ValueError, match="--workers=0"):
    launch_local.launch(["true"], 0)


def test_free_ports_are_distinct():
  ports = launch_local.free_ports(5)
  assert len(set(ports)) == 5
  assert all(0 < p < 65536 for p in ports)


def test_command_line_passes_everything_after_the_separator():
  run = subprocess.run(
      [sys.executable, "-m", "trainers.launch_local", "--workers=2",
       "--timeout=60", "--", *_python(f"""
          import sys
          {_INDEX}
          print("args", sys.argv[1:])
          sys.exit(5 if i == 1 else 0)
      """), "--workers=7"],
      capture_output=True, text=True, timeout=120, check=False)
  assert run.returncode == 5, run.stdout + run.stderr
  assert "[worker 0] args ['--workers=7']" in run.stdout
