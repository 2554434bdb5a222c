"""`--ema_decay`: the moving average's formula, swap and checkpoint."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from trainers.training import ema


def _weights():
  return [tf.Variable([1.0, 2.0]), tf.Variable([[3.0]])]


def test_the_average_follows_the_formula_with_its_early_decay():
  weights = _weights()
  average = ema.WeightAverage(weights, decay=0.9)
  expected = [w.numpy().copy() for w in weights]
  for step in range(5):
    for w in weights:
      w.assign_add(tf.ones_like(w))
    average.update(tf.constant(step, tf.int64))
    # min(0.9, (1 + n) / (10 + n)): 0.1, 0.18, ... early on.
    decay = min(0.9, (1 + step) / (10 + step))
    expected = [decay * e + (1 - decay) * w.numpy()
                for e, w in zip(expected, weights)]
  for a, e in zip(average.averages, expected):
    np.testing.assert_allclose(a.numpy(), e, rtol=1e-6)


def test_swapping_in_and_out_gives_the_trained_weights_back_bit_for_bit():
  weights = _weights()
  average = ema.WeightAverage(weights, decay=0.5)
  weights[0].assign([0.1, 0.7])
  average.update(tf.constant(100, tf.int64))
  trained = [w.numpy().copy() for w in weights]
  averaged = [a.numpy().copy() for a in average.averages]
  with average.swapped_in():
    for w, a in zip(weights, averaged):
      np.testing.assert_array_equal(w.numpy(), a)
  for w, t in zip(weights, trained):
    np.testing.assert_array_equal(w.numpy(), t)
  average.copy_to_weights()
  for w, a in zip(weights, averaged):
    np.testing.assert_array_equal(w.numpy(), a)


def test_the_average_is_restored_from_a_checkpoint(tmp_path):
  weights = _weights()
  average = ema.WeightAverage(weights, decay=0.5)
  weights[1].assign([[9.0]])
  average.update(tf.constant(50, tf.int64))
  path = tf.train.Checkpoint(weight_average=average).save(
      str(tmp_path / "ckpt"))
  restored = ema.WeightAverage(_weights(), decay=0.5)
  tf.train.Checkpoint(weight_average=restored).restore(path).assert_consumed()
  for a, b in zip(average.averages, restored.averages):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
