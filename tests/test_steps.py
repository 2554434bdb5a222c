"""The compiled train step and loop: it learns, and counts what it claims."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

import asl_pipeline
from trainers import models
from trainers.training import metrics as metrics_lib
from trainers.training import steps as steps_lib


def _train_step(model, optimizer, grad_norms=None):
  step = steps_lib.make_train_step(
      model, optimizer, keras.losses.SparseCategoricalCrossentropy(),
      metrics_lib.StepMetrics("train"), augmenter=None,
      jit_compile=False, first_bad_step=tf.Variable(-1, dtype=tf.int64),
      step=tf.Variable(0, dtype=tf.int64), grad_norms=grad_norms)
  return tf.function(step)


def test_train_step_overfits_sixteen_examples(asl_data_dir):
  keras.utils.set_random_seed(0)
  images, labels = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=16, split="train[:16]",
      data_dir=asl_data_dir)))
  model = models.build_model("dli_cnn", input_shape=(28, 28, 1),
                             num_classes=24)
  step = _train_step(model, keras.optimizers.Adam(1e-3))
  losses = [float(step(images, labels)) for _ in range(40)]
  assert losses[-1] < losses[0] / 2, losses


def test_the_loop_runs_num_steps_per_call():
  counter = tf.Variable(0)

  def step(images, labels):
    del images, labels
    counter.assign_add(1)

  train_loop = steps_lib.make_train_loop(step, use_tf_function=True)
  iterator = iter(tf.data.Dataset.range(100).map(lambda i: (i, i)))
  first = train_loop(iterator, tf.constant(5))
  assert int(counter.numpy()) == 5 and int(first) == 0
  first = train_loop(iterator, tf.constant(3))
  assert int(counter.numpy()) == 8 and int(first) == 5
  assert int(next(iterator)[0]) == 8  # Nothing read beyond its steps.


def test_deep_sigmoid_net_shows_vanishing_gradients_relu_does_not(
    asl_data_dir):
  images, labels = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=64, split="train",
      data_dir=asl_data_dir)))
  ratios = {}
  for activation in ("sigmoid", "relu"):
    keras.utils.set_random_seed(0)
    model = models.build_model("deep10", input_shape=(28, 28, 1),
                               num_classes=24, activation=activation)
    norms = metrics_lib.GradNorms(model.trainable_variables)
    step = _train_step(model, keras.optimizers.SGD(0.01), grad_norms=norms)
    for _ in range(3):
      step(images, labels)
    result = norms.result()
    assert list(result) == [f"dense{i}" for i in range(1, 10)] + [
        "probabilities"]
    ratios[activation] = result["dense1"] / result["probabilities"]
  # Sigmoid's slope is at most 1/4: nine layers shrink the first layer's
  # gradient by orders of magnitude; relu keeps it of the same order.
  assert ratios["sigmoid"] < 1e-3, ratios
  assert ratios["relu"] > 0.1, ratios


def test_grad_norms_are_those_of_the_gradients():
  model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2,
                                                                  name="a"),
                            keras.layers.Dense(2, name="b")])
  norms = metrics_lib.GradNorms(model.trainable_variables)
  assert norms.names == ["a", "b"]
  grads = [tf.fill(v.shape, 2.0) for v in model.trainable_variables]
  computed = norms.compute(grads).numpy()
  # Layer a: 3x2 kernel + 2 biases = 8 twos; layer b: 2x2 + 2 = 6 twos.
  np.testing.assert_allclose(computed, [np.sqrt(8 * 4), np.sqrt(6 * 4)],
                             rtol=1e-6)
  norms.update(computed)
  norms.update(3 * computed)
  np.testing.assert_allclose(list(norms.result().values()), 2 * computed,
                             rtol=1e-6)
