"""Precise BatchNorm: population statistics recomputed from training batches.

A BatchNormalization layer normalizes with the statistics of its batch while
training, and with `moving_mean` / `moving_variance` at inference. Those are
exponential moving averages (momentum 0.99: a memory of ~100 steps) of batch
statistics computed under ever-changing weights. With few steps per epoch
they trail far behind the weights, and an evaluation with them can sit at
chance while the weights have learned. Precise BN (as in pycls and
detectron2) throws the moving averages away and recomputes the statistics
of the current weights from a number of training batches:

  mean     = average over the batches of each batch's mean
  variance = average of each batch's variance
             + variance of the batch means between batches

The second term makes the variance that of all the inputs seen, pooled
(the batches are of equal size), which is what an example meets at
inference; the average of batch variances alone (pycls, fvcore) is smaller
by the spread of the batch means. For a convolution's batch norm, whose
batch statistics pool batch x height x width values, the two barely differ;
the term grows for dense-layer batch norms and small batches.

Only the batch norms run in training mode (batch statistics) during the
recompute; every other layer runs as at inference, so Dropout does not
inflate the variance the statistics are taken from, and no random state
(Dropout's seed generators) advances: a recompute changes nothing but the
statistics it writes.

Usage:

  recompute = PreciseBatchNorm(model, strategy=strategy)
  if recompute.num_layers:
    recompute(batches, num_batches=50)   # before each evaluation or save
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
import contextlib

import keras
import tensorflow as tf

Batches = tf.data.Dataset | Iterator


def batchnorm_layers(model: keras.layers.Layer
                     ) -> list[keras.layers.BatchNormalization]:
  """The batch norms whose statistics precise BN recomputes.

  Args:
    model: Any Keras model or layer; nested models and layers are searched.

  Returns:
    Every `BatchNormalization` (including `synchronized=True` ones) that
    normalizes with batch statistics in training, in model order. Frozen
    ones (`trainable=False`, e.g. a fine-tuned ResNet's pretrained stages)
    always use their stored statistics, so they keep them; batch
    renormalization layers keep their own, corrected, statistics.
  """
  # _flatten_layers walks nested models and a custom layer's own sublayers,
  # which `model.layers` does not.
  found = []
  for layer in model._flatten_layers(include_self=True, recursive=True):  # pylint: disable=protected-access
    if (isinstance(layer, keras.layers.BatchNormalization) and
        layer.trainable and not layer.renorm and layer.built):
      found.append(layer)
  return found


class PreciseBatchNorm:
  """Recomputes a model's batch-norm statistics; one compiled pass each call.

  Build it once per model and call it before every evaluation or save: the
  pass over the batches is a `tf.function` traced on the first call only.

  Attributes:
    layers: The batch norms it updates (see `batchnorm_layers`).
  """

  def __init__(self, model: keras.Model, *,
               strategy: tf.distribute.Strategy | None = None,
               preprocess: Callable[[tf.Tensor], tf.Tensor] | None = None,
               between_batch_variance: bool = True):
    """Prepares the recompute.

    Args:
      model: The model; its batch norms must be built (call or build the
        model first).
      strategy: The strategy the model was built under; None for the
        current one (the default strategy outside any scope). Under a
        mirrored or multi-worker strategy each replica runs its share of
        every global batch and the statistics are averaged over replicas,
        so each replica's batch counts as one batch; a
        `synchronized=True` batch norm already sees the global batch.
      preprocess: Applied to each batch's images before the model, inside
        the compiled pass (e.g. an augmenter); None feeds them as they come.
      between_batch_variance: Add the variance of the batch means to the
        average batch variance (the pooled variance; see the module
        docstring). False gives pycls's average of batch variances.
    """
    self.model = model
    self.layers = batchnorm_layers(model)
    self.strategy = strategy or tf.distribute.get_strategy()
    self.preprocess = preprocess
    self.between_batch_variance = between_batch_variance
    self._pass = tf.function(self._recompute)
    # One dispatch for the copy a failed pass is undone from.
    self._read = tf.function(lambda: [tf.identity(v) for v in self._variables])

  @property
  def _variables(self) -> list:
    return [v for layer in self.layers
            for v in (layer.moving_mean, layer.moving_variance)]

  @property
  def num_layers(self) -> int:
    """How many batch norms a call updates (0: calling is a no-op)."""
    return len(self.layers)

  def __call__(self, batches: Batches, num_batches: int) -> int:
    """Replaces every batch norm's moving statistics by precise ones.

    Args:
      batches: `images` or `(images, labels, ...)` training batches: a
        `tf.data.Dataset` (distributed over the strategy's replicas here if
        the strategy has several) or an iterator (a distributed one under a
        strategy), of which `num_batches` are consumed.
      num_batches: How many batches to average over, at least 1.

    Returns:
      The number of batch norms updated: 0 for a model without any, which
      is then left untouched and no batch is read.

    Raises:
      ValueError: `num_batches` is below 1, or `batches` holds fewer; the
        model's statistics are then as before the call.
    """
    if num_batches < 1:
      raise ValueError(f"num_batches must be at least 1, got {num_batches}")
    if not self.layers:
      return 0
    iterator = self._iterator(batches, num_batches)
    saved = self._read()
    try:
      with _batch_statistics_mode(self.layers):
        self._pass(iterator, tf.constant(num_batches, tf.int32))
    except tf.errors.OutOfRangeError:
      # The pass wrote batch statistics as it went: put the old ones back.
      self._assign(saved)
      raise ValueError(
          f"The batches ran out before {num_batches} batches (precise "
          "BatchNorm); pass a repeated dataset or a smaller num_batches."
      ) from None
    except BaseException:
      self._assign(saved)
      raise
    return len(self.layers)

  def _iterator(self, batches: Batches, num_batches: int):
    if not isinstance(batches, tf.data.Dataset):
      return batches
    size = int(batches.cardinality())
    if 0 <= size < num_batches:
      raise ValueError(f"The dataset has {size} batches, fewer than the "
                       f"{num_batches} asked for (precise BatchNorm).")
    if self.strategy.num_replicas_in_sync > 1:
      batches = self.strategy.experimental_distribute_dataset(batches)
    return iter(batches)

  def _recompute(self, iterator, num_batches):
    """Writes mean and variance per batch norm over `num_batches` batches."""
    strategy, layers = self.strategy, self.layers
    for layer in layers:
      # With momentum 0 each batch overwrites these: the reset only keeps a
      # NaN left by a diverged run from surviving 0 * NaN.
      layer.moving_mean.assign(tf.zeros_like(layer.moving_mean))
      layer.moving_variance.assign(tf.ones_like(layer.moving_variance))
    mean_op = tf.distribute.ReduceOp.MEAN

    def replica_moments(batch):
      images = batch[0] if isinstance(batch, (tuple, list)) else batch
      if self.preprocess is not None:
        images = self.preprocess(images)
      # Inference mode for everything but the batch norms (patched to
      # train mode, momentum 0): each moving statistic now holds this
      # replica's batch statistic, computed by Keras itself (float32 even
      # under mixed precision).
      self.model(images, training=False)
      moments = []
      for layer in layers:
        mean = tf.convert_to_tensor(layer.moving_mean)
        moments += [mean, tf.convert_to_tensor(layer.moving_variance),
                    tf.square(mean)]
      return moments

    def body(i, sums):
      per_replica = strategy.run(replica_moments, args=(next(iterator),))
      moments = [strategy.reduce(mean_op, m, axis=None) for m in per_replica]
      return i + 1, [s + m for s, m in zip(sums, moments)]

    sums = []
    for layer in layers:
      zeros = tf.zeros(layer.moving_mean.shape, tf.float32)
      sums += [zeros, zeros, zeros]
    _, sums = tf.while_loop(lambda i, _: i < num_batches, body,
                            (tf.constant(0), sums))
    n = tf.cast(num_batches, tf.float32)
    for k, layer in enumerate(layers):
      mean_sum, variance_sum, square_sum = sums[3 * k:3 * k + 3]
      mean = mean_sum / n
      variance = variance_sum / n
      if self.between_batch_variance:
        # Rounding can take E[m^2] - E[m]^2 a hair below 0.
        variance += tf.maximum(square_sum / n - tf.square(mean), 0.0)
      # In cross-replica context: every replica's copy gets the values.
      layer.moving_mean.assign(mean)
      layer.moving_variance.assign(variance)

  def _assign(self, values: Sequence) -> None:
    for variable, value in zip(self._variables, values):
      variable.assign(value)


@contextlib.contextmanager
def _batch_statistics_mode(layers):
  """Makes `layers` normalize with, and store, their batch statistics.

  Inside, each layer runs in training mode whatever the model is called
  with, and with momentum 0 its moving statistics become the batch's own
  (exactly: the old value is multiplied by 0). Momentum and call are
  restored on exit; the moving statistics are the caller's to write.
  """
  saved = []
  for layer in layers:
    saved.append((layer.momentum, layer.__dict__.get("call")))
    original = layer.call

    def call(inputs, *args, training=None, _original=original, **kwargs):
      del training  # Batch statistics, whatever the model was called with.
      return _original(inputs, *args, training=True, **kwargs)

    layer.momentum = 0.0
    layer.call = call
  try:
    yield
  finally:
    for layer, (momentum, call) in zip(layers, saved):
      layer.momentum = momentum
      if call is None:
        del layer.call
      else:
        layer.call = call
