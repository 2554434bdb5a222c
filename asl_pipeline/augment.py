"""Image augmentation equal to the course's `ImageDataGenerator`, as one layer.

The course augments with
`ImageDataGenerator(rotation_range=10, zoom_range=0.1, width_shift_range=0.1,
height_shift_range=0.1, horizontal_flip=True)`. Chaining Keras's
RandomRotation, RandomZoom, RandomTranslation and RandomFlip gives the same
distribution but pays four layer calls, four parameter draws and three image
resamplings per batch; at 28x28 that overhead, not the pixel work, is the
cost. `RandomAffine` draws every per-image parameter with ONE stateless
random op, composes them into one projective transform per image, and
resamples the batch with ONE `ImageProjectiveTransformV3` call (also one
interpolation instead of three, so images stay sharper).

Semantics, per image, as ImageDataGenerator draws them:
  * rotation: uniform in [-rotation_degrees, +rotation_degrees];
  * zoom: two independent factors (width, height) uniform in
    [1 - zoom, 1 + zoom], in ImageDataGenerator's sense (a factor above 1
    samples a larger area, so the content shrinks);
  * shift: uniform in [-translate, +translate] of the width and the height;
    applied along the image axes, so a shift never exceeds that bound
    (ImageDataGenerator rotates its shift with the image);
  * flip: left-right with probability 1/2 when `horizontal_flip`, never
    up-down;
  * pixels outside the source repeat the nearest edge ("nearest", the
    ImageDataGenerator default), bilinear interpolation.

TF 2.21 cannot XLA-compile `ImageProjectiveTransformV3`: keep this layer out
of `jit_compile=True` functions.
"""

from __future__ import annotations

import math
from typing import Protocol

import keras
import tensorflow as tf

_NUM_DRAWS = 6  # rotation, zoom x, zoom y, shift x, shift y, flip


class Augmenter(Protocol):
  """What every augmenter of `make_augmenter` is, fused or not.

  A Keras layer (so it goes in front of a model, see `with_augmentation`)
  whose random state lives in `keras.random.SeedGenerator`s, which a
  `tf.train.Checkpoint` of the layer's seed-generator states saves, with:

  * `__call__(images, training=True)`: augments with the next seeds of its
    own generators; `training=False` is the identity.
  * `augment(images, seed)`: augments with parameters drawn from an explicit
    shape-[2] int `seed` only (stateless: no variable is read or advanced),
    for a tf.data pipeline that derives seeds from the batch index and for
    pictures of the inputs that must not advance a run's random state.
  """

  def __call__(self, images, training: bool = True) -> tf.Tensor:
    ...

  def augment(self, images, seed) -> tf.Tensor:
    ...


@keras.saving.register_keras_serializable(package="asl_pipeline")
class RandomAffine(keras.layers.Layer):
  """Random rotation, zoom, shift and horizontal flip in one resampling.

  Works on `[batch, height, width, channels]` or single `[h, w, c]` images,
  eagerly, inside `tf.function`, and inside `tf.data.Dataset.map`. With
  `training=False` it returns its input unchanged.

  Randomness is stateless: every call takes the next seed from a
  `keras.random.SeedGenerator` started at `seed`, so a layer built with the
  same seed replays the same augmentations call for call, and each call
  (each batch) gets new ones. `augment(images, seed)` takes the seed
  explicitly, for pipelines that derive it from the batch index. Inside a
  `tf.distribute` step each replica folds its replica id into the seed, so
  replicas augment their images differently.

  Args:
    rotation_degrees: Largest rotation, in degrees (not fractions of a turn).
    zoom: Largest relative zoom; factors are drawn from [1 - zoom, 1 + zoom].
    translate: Largest shift, as a fraction of the width and of the height.
    horizontal_flip: Flip left-right half of the images.
    seed: Int seed; None draws a random one.
    **kwargs: Passed to `keras.layers.Layer` (name, ...).
  """

  def __init__(self, rotation_degrees: float = 10.0, zoom: float = 0.1,
               translate: float = 0.1, horizontal_flip: bool = True,
               seed: int | None = None, **kwargs):
    super().__init__(**kwargs)
    # XLA cannot compile ImageProjectiveTransformV3: this keeps
    # `model.fit(jit_compile="auto")` from trying on a model holding it.
    self.supports_jit = False
    for arg, value, limit in (("rotation_degrees", rotation_degrees, 180),
                              ("zoom", zoom, 1), ("translate", translate, 1)):
      if not 0 <= value < limit:
        raise ValueError(f"{arg} must be in [0, {limit}), got {value!r}.")
    self.rotation_degrees = float(rotation_degrees)
    self.zoom = float(zoom)
    self.translate = float(translate)
    self.horizontal_flip = bool(horizontal_flip)
    self.seed = seed
    self.seed_generator = keras.random.SeedGenerator(seed)

  def sample_parameters(self, batch_size, seed) -> dict[str, tf.Tensor]:
    """Draws the augmentation parameters of a batch.

    Args:
      batch_size: Number of images (int or scalar tensor).
      seed: Shape-[2] int tensor for the stateless draw.

    Returns:
      `rotation_degrees` [batch] (positive turns the content
      counter-clockwise as displayed), `zoom` [batch, 2] (width, height
      factors), `shift` [batch, 2] (x, y fractions of width and height; the
      content moves by minus this), `flip` [batch] bool.
    """
    # One random op for all parameters: per-op overhead, not arithmetic,
    # is what a small batch pays for.
    u = tf.random.stateless_uniform((batch_size, _NUM_DRAWS),
                                    seed=tf.cast(seed, tf.int64),
                                    minval=-1.0, maxval=1.0)
    flip = u[:, 5] < 0.0 if self.horizontal_flip else tf.zeros_like(
        u[:, 5], tf.bool)
    return {
        "rotation_degrees": u[:, 0] * self.rotation_degrees,
        "zoom": 1.0 + u[:, 1:3] * self.zoom,
        "shift": u[:, 3:5] * self.translate,
        "flip": flip,
    }

  def augment(self, images, seed) -> tf.Tensor:
    """Augments `images` with parameters drawn from an explicit `seed`.

    Args:
      images: `[batch, h, w, c]` or `[h, w, c]`, float or integer.
      seed: Shape-[2] int tensor; the same seed gives the same output.

    Returns:
      Images of the same shape and dtype.
    """
    images = tf.convert_to_tensor(images)
    single = images.shape.rank == 3
    batch = images[tf.newaxis] if single else images
    dynamic = tf.shape(batch)
    params = self.sample_parameters(dynamic[0], seed)
    height, width = batch.shape[1], batch.shape[2]
    size = (tf.constant((height, width), tf.int32)
            if height is not None and width is not None else dynamic[1:3])
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=batch,
        transforms=_transforms(params, tf.cast(dynamic[1], tf.float32),
                               tf.cast(dynamic[2], tf.float32)),
        output_shape=size, fill_value=tf.constant(0.0, tf.float32),
        interpolation="BILINEAR", fill_mode="NEAREST")
    out = tf.ensure_shape(out, batch.shape)
    return out[0] if single else out

  def call(self, inputs, training=True):
    if not training:
      return inputs
    return self.augment(inputs, _per_replica(self.seed_generator.next()))

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self) -> dict:
    return {**super().get_config(),
            "rotation_degrees": self.rotation_degrees, "zoom": self.zoom,
            "translate": self.translate,
            "horizontal_flip": self.horizontal_flip, "seed": self.seed}


def _per_replica(seed: tf.Tensor) -> tf.Tensor:
  """Gives each replica of a `tf.distribute` step a seed of its own.

  Every replica calls the layer with the same generator state; without this,
  the i-th image of every replica's batch would get the same rotation, zoom,
  shift and flip. One replica (no strategy) keeps the seed unchanged.
  """
  context = tf.distribute.get_replica_context()
  if context is None or context.num_replicas_in_sync == 1:
    return seed
  return tf.random.experimental.stateless_fold_in(
      tf.cast(seed, tf.int64), context.replica_id_in_sync_group)


def _transforms(params, height, width) -> tf.Tensor:
  """Per-image `[a0, a1, a2, b0, b1, b2, 0, 0]` mapping output to input.

  Output pixel p (x = column, y = row) reads the input at
  `c + R(theta) Z F (p - c) + shift`, with c the image center, F the
  optional flip and Z the zoom: the same order ImageDataGenerator uses.
  """
  theta = params["rotation_degrees"] * (math.pi / 180.0)
  cos, sin = tf.cos(theta), tf.sin(theta)
  zoom_x = params["zoom"][:, 0] * tf.where(params["flip"], -1.0, 1.0)
  zoom_y = params["zoom"][:, 1]
  a0, a1 = cos * zoom_x, -sin * zoom_y
  b0, b1 = sin * zoom_x, cos * zoom_y
  cx, cy = (width - 1.0) / 2.0, (height - 1.0) / 2.0
  a2 = cx + params["shift"][:, 0] * width - (a0 * cx + a1 * cy)
  b2 = cy + params["shift"][:, 1] * height - (b0 * cx + b1 * cy)
  zeros = tf.zeros_like(a0)
  return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


class _ExplicitSeed(keras.random.SeedGenerator):
  """A seed generator that holds no variable: it draws from a given seed.

  Keras's random layers take their randomness from a `SeedGenerator`,
  whose state is a variable; a tf.data function sent to the tf.data
  service must hold none. This one derives every draw from the seed it was
  made with (a new one per draw, in draw order), so a chain of Keras layers
  can augment statelessly.
  """

  def __init__(self, seed):  # pylint: disable=super-init-not-called
    self._seed = tf.cast(seed, tf.int64)
    self._draws = 0

  def next(self, ordered=True):
    del ordered
    self._draws += 1
    return self._seed + tf.constant([0, 1], tf.int64) * self._draws


@keras.saving.register_keras_serializable(package="asl_pipeline")
class AugmentationChain(keras.Sequential):
  """Keras's RandomRotation, RandomZoom, RandomTranslation and RandomFlip.

  The unfused `make_augmenter(fused=False)`: the same distribution as
  `RandomAffine` in three resamplings, for comparison; an `Augmenter` too.
  """

  def __init__(self, *args, **kwargs):
    super().__init__(*args, **kwargs)
    # As RandomAffine: XLA cannot compile the resampling op.
    self.supports_jit = False

  def augment(self, images, seed) -> tf.Tensor:
    """Augments `images` with parameters drawn from an explicit `seed`.

    Args:
      images: `[batch, h, w, c]` float images.
      seed: Shape-[2] int tensor; the same seed gives the same output.

    Returns:
      Images of the same shape.
    """
    explicit = _ExplicitSeed(seed)
    for layer in self.layers:
      transformation = layer.get_random_transformation(
          images, training=True, seed=explicit)
      images = layer.transform_images(images, transformation, training=True)
    return images


def make_augmenter(rotation_degrees: float = 10.0, zoom: float = 0.1,
                   translate: float = 0.1, horizontal_flip: bool = True,
                   seed: int | None = None, fused: bool = True
                   ) -> Augmenter:
  """The course's ImageDataGenerator augmentation as a Keras layer.

  Args:
    rotation_degrees: Largest rotation in degrees (ImageDataGenerator's
      `rotation_range`).
    zoom: Largest relative zoom (`zoom_range`).
    translate: Largest shift as a fraction of width and height
      (`width_shift_range`, `height_shift_range`).
    horizontal_flip: Flip left-right half of the images (never up-down).
    seed: Int seed for reproducible augmentation; None for a random one.
    fused: True (default) returns the single-resampling `RandomAffine`;
      False returns the equivalent `AugmentationChain` of Keras's
      RandomRotation, RandomZoom, RandomTranslation and RandomFlip, for
      comparison.

  Returns:
    An `Augmenter` layer: `layer(images, training=True)` augments,
    `training=False` is the identity, `layer.augment(images, seed)` draws
    from an explicit seed.
  """
  if fused:
    return RandomAffine(rotation_degrees, zoom, translate, horizontal_flip,
                        seed=seed, name="random_affine")
  layers = []
  if rotation_degrees:
    # RandomRotation's factor is a fraction of a full turn, not degrees.
    layers.append(keras.layers.RandomRotation(
        rotation_degrees / 360.0, fill_mode="nearest", seed=seed))
  if zoom:
    # Both factors given: independent per axis, as ImageDataGenerator draws.
    layers.append(keras.layers.RandomZoom(
        (-zoom, zoom), (-zoom, zoom), fill_mode="nearest", seed=seed))
  if translate:
    layers.append(keras.layers.RandomTranslation(
        translate, translate, fill_mode="nearest", seed=seed))
  if horizontal_flip:
    # RandomFlip() alone also flips up-down; a sign is not the same upside
    # down.
    layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
  return AugmentationChain(layers, name="keras_augmentation_chain")


def with_augmentation(model: keras.Model,
                      augmenter: keras.layers.Layer | None = None,
                      **augmenter_kwargs) -> keras.Model:
  """`model` behind an augmenter: augmentation on the accelerator with `fit`.

  The Keras way to augment where the model runs: `model.fit` calls the
  returned model with `training=True`, so each training batch is augmented
  inside the compiled step; `evaluate`, `predict` and a saved model's
  serving call run with `training=False`, where the augmenter is the
  identity. Feed it un-augmented batches
  (`train_dataset(..., augment="device")`). Equivalent to
  `keras.Sequential([make_augmenter(...), model])`.

  Args:
    model: A Keras 3 model (or layer) taking images.
    augmenter: The layer to put in front; None builds `make_augmenter(
      **augmenter_kwargs)`.
    **augmenter_kwargs: Passed to `make_augmenter` (`rotation_degrees`,
      `zoom`, `translate`, `horizontal_flip`, `seed`, `fused`).

  Returns:
    A `keras.Sequential` of the augmenter and `model`, to compile and fit.

  Raises:
    ValueError: both `augmenter` and `augmenter_kwargs` given.
  """
  if augmenter is not None and augmenter_kwargs:
    raise ValueError("Pass either augmenter= or make_augmenter's arguments "
                     f"({sorted(augmenter_kwargs)}), not both.")
  augmenter = augmenter or make_augmenter(**augmenter_kwargs)
  layers = [augmenter, model]
  try:
    # A built model's input shape: the result is then built too, and its
    # summary() and save() work before the first fit.
    layers.insert(0, keras.Input(model.input_shape[1:]))
  except (AttributeError, ValueError):
    pass
  return keras.Sequential(layers, name=f"augmented_{model.name}")
