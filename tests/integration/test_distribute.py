"""Strategies in real processes: mirrored on two logical CPUs, and workers.

Logical CPUs must be configured before TensorFlow initializes, which the
test process has long done, and a multi-worker cluster needs a process per
worker: each case runs in fresh interpreters, on the loopback interface.
"""

from __future__ import annotations

import io
import json
import os
import sys
import textwrap

import keras
import numpy as np

from tests import helpers
from trainers import launch_local

# One step of a small model, mirrored and on the default strategy, from the
# same weights and batch.
_MIRRORED_STEP = textwrap.dedent("""
    import json
    import numpy as np
    from trainers.training import distribute
    strategy = distribute.make_strategy("mirrored", num_cpu_devices=2)
    import keras
    import tensorflow as tf
    from tests import helpers

    GLOBAL_BATCH = 8
    rng = np.random.default_rng(0)
    images = rng.normal(size=(GLOBAL_BATCH, 6)).astype("float32")
    labels = rng.integers(0, 3, size=(GLOBAL_BATCH,)).astype("int32")

    def build():
      return keras.Sequential([keras.Input((6,)),
                               keras.layers.Dense(5, activation="relu"),
                               keras.layers.Dense(3)])

    keras.utils.set_random_seed(1)
    initial = build().get_weights()

    def one_step(strat):
      with strat.scope():
        model = build()
        model.set_weights(initial)
        step = tf.function(helpers.make_train_step(
            model, keras.optimizers.SGD(0.5),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True)))

      ds = tf.data.Dataset.from_tensor_slices((images, labels))
      x, y = next(iter(strat.experimental_distribute_dataset(
          ds.batch(GLOBAL_BATCH))))
      per_replica = strat.run(step, args=(x, y))
      total = strat.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
      local = strat.experimental_local_results(per_replica)
      return {"loss": float(total),
              "replica_losses": [float(v) for v in local],
              "replica_batches": [int(v.shape[0]) for v in
                                  strat.experimental_local_results(x)],
              "weights": [w.tolist() for w in model.get_weights()]}

    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "initial": [w.tolist() for w in initial],
        "devices": list(strategy.extended.worker_devices),
        "default": one_step(tf.distribute.get_strategy()),
        "mirrored": one_step(strategy)}))
""")


def _run_script(path, text, *args):
  path.write_text(text)
  run = helpers.run_python(str(path), *args, timeout=240)
  assert run.returncode == 0, run.stderr[-3000:]
  return json.loads(run.stdout.strip().splitlines()[-1])


def test_mirrored_step_on_two_logical_cpus_matches_default(tmp_path):
  result = _run_script(tmp_path / "step.py", _MIRRORED_STEP)
  assert result["replicas"] == 2
  assert len(set(result["devices"])) == 2
  default, mirrored = result["default"], result["mirrored"]
  assert mirrored["replica_batches"] == [4, 4]  # The global batch, split.
  np.testing.assert_allclose(mirrored["loss"], default["loss"], rtol=1e-5)
  for got, want in zip(mirrored["weights"], default["weights"]):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  # The step moved the weights, so the match is not between two no-ops.
  assert not np.allclose(default["weights"][0], result["initial"][0])

  # Keras losses already divide by the replica count: each replica reports
  # (mean over its 4 examples) / 2, so their SUM is the global mean;
  # averaging them, or dividing again, halves the loss.
  replica_losses = np.array(mirrored["replica_losses"])
  np.testing.assert_allclose(replica_losses.sum(), default["loss"],
                             rtol=1e-5)
  assert not np.isclose(replica_losses.mean(), default["loss"], rtol=0.05)


# The trainer's loop, mirrored, then the same config on the default strategy;
# the test evaluates the moving average of the weights, updated on both.
_MIRRORED_VS_DEFAULT = textwrap.dedent("""
    import json, sys
    from trainers.command_line import config as config_lib
    from trainers.training import loop
    out, data_dir = sys.argv[1], sys.argv[2]
    results = {}
    for name, extra in [("mirrored", dict(strategy="mirrored",
                                          num_cpu_devices=2)),
                        ("default", {})]:
      config = config_lib.Config(
          data_dir=data_dir, model="lenet5", epochs=2, steps_per_epoch=1,
          batch_size=16, eval_batch_size=96, augment="none",
          summary_images=2, validation_split="", ema_decay=0.5, **extra)
      results[name] = loop.train_and_evaluate(config, f"{out}/{name}")
    print(json.dumps(results))
""")


def test_mirrored_trainer_on_two_cpus_gives_the_single_device_losses(
    asl_data_dir, tmp_path):
  results = _run_script(tmp_path / "run.py", _MIRRORED_VS_DEFAULT,
                        str(tmp_path), asl_data_dir)
  mirrored, default = results["mirrored"], results["default"]
  # Step 1: same initial weights, same global batch of 16 (2 x 8 on the
  # mirrored side): the summed replica losses are the global mean loss.
  # Step 2 follows one update each, so it also checks the gradient scale.
  for epoch in range(2):
    np.testing.assert_allclose(mirrored["history"][epoch]["train_loss"],
                               default["history"][epoch]["train_loss"],
                               rtol=1e-4)
  assert (mirrored["history"][0]["train_loss"] !=
          mirrored["history"][1]["train_loss"])  # The update did something.
  np.testing.assert_allclose(mirrored["test"]["loss"], default["test"]["loss"],
                             rtol=1e-4)
  for name in ("mirrored", "default"):
    assert (tmp_path / name / "export" / "saved_model.pb").exists()


# The real entry point, with the final weights of each worker saved next to
# the workdir just before the loop exports them (a non-chief's own outputs
# are deleted when it finishes).
_TRAINER_WORKER = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from tfds_builders.common import command
    from trainers import asl
    from trainers.run_dir import export
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    real_export = export.export_model
    def export_and_keep_weights(model, path, class_names):
      np.savez(os.path.join(os.environ["WEIGHTS_DIR"], f"weights_{task}.npz"),
               *model.get_weights())
      return real_export(model, path, class_names)
    export.export_model = export_and_keep_weights
    command.run(asl.define_flags, asl.main)
""")


def test_two_trainer_workers_train_two_epochs_and_agree(asl_data_dir,
                                                        tmp_path):
  script = tmp_path / "worker.py"
  script.write_text(_TRAINER_WORKER)
  workdir = tmp_path / "run"
  out = io.StringIO()
  code = launch_local.launch(
      [sys.executable, str(script), "--strategy=multi_worker",
       f"--data_dir={asl_data_dir}", f"--workdir={workdir}",
       "--model=lenet5", "--epochs=2", "--steps_per_epoch=2",
       "--batch_size=16", "--augment=none"], 2, timeout_s=240,
      env=helpers.command_env(WEIGHTS_DIR=str(tmp_path)), out=out)
  log = out.getvalue()
  assert code == 0, log[-4000:]
  first, second = (np.load(tmp_path / f"weights_{i}.npz") for i in (0, 1))
  assert len(first.files) == 10  # lenet5: five layers, kernel and bias.
  for name in first.files:
    np.testing.assert_array_equal(first[name], second[name])
  # They are the weights the chief saved, and they were trained.
  saved = keras.models.load_model(workdir / "model.keras").get_weights()
  for i, weights in enumerate(saved):
    np.testing.assert_array_equal(weights, first[f"arr_{i}"])
  metrics = json.loads((workdir / "metrics.json").read_text())
  assert [h["epoch"] for h in metrics["history"]] == [1, 2]
  assert sorted(os.listdir(workdir / "checkpoints")) == [
      "checkpoint", "ckpt-2.data-00000-of-00001", "ckpt-2.index",
      "ckpt-4.data-00000-of-00001", "ckpt-4.index"]
  # No worker's temporary outputs are left anywhere.
  assert not [p for p in workdir.rglob("workertemp*")]
