"""The augmenter under a mirrored strategy, in a process of its own."""

from __future__ import annotations

import json
import textwrap

from tests import helpers

# Logical CPUs must be configured before TensorFlow initializes: a fresh
# interpreter gives the layer two replicas that see the same images.
_TWO_REPLICAS = textwrap.dedent("""
    import json
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import asl_pipeline
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
      layer = asl_pipeline.make_augmenter(seed=1)
    images = tf.random.stateless_uniform((8, 28, 28, 1), seed=(0, 0))

    @tf.function
    def step():
      return strategy.run(lambda: layer(images, training=True))

    first, second = (strategy.experimental_local_results(step())
                     for _ in range(2))
    print(json.dumps({
        "replicas_differ": not np.allclose(first[0], first[1]),
        "steps_differ": not np.allclose(first[0], second[0]),
        "max_change": float(np.abs(first[0] - images).max()),
    }))
""")


def test_each_replica_draws_its_own_augmentation(tmp_path):
  script = tmp_path / "replicas.py"
  script.write_text(_TWO_REPLICAS)
  run = helpers.run_python(str(script), timeout=120)
  assert run.returncode == 0, run.stderr[-3000:]
  result = json.loads(run.stdout.strip().splitlines()[-1])
  assert result["replicas_differ"]
  assert result["steps_differ"]
  assert result["max_change"] > 0.05  # Augmented, not passed through.
