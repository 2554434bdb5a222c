"""What a trained model holds: its filters and feature maps, and the PNGs
`trainers.visualize` draws of them."""

from __future__ import annotations

import pathlib

import keras
import numpy as np
import tensorflow as tf

from trainers.run_dir import export
from trainers.analysis import inference
from trainers.run_dir import plots
from trainers.run_dir import workdir as workdir_lib


def conv_layers(model: keras.Model) -> list[keras.layers.Conv2D]:
  """The model's top-level Conv2D layers, in order."""
  return [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]


def first_conv_filters(model: keras.Model) -> tuple[str, np.ndarray]:
  """The first conv layer's kernels, one image per filter.

  Args:
    model: A model with at least one top-level Conv2D layer.

  Returns:
    `(layer name, filters)`: the weights as [filters, kh, kw] for one input
    channel (or the mean over channels other than 3), or
    [filters, kh, kw, 3] for RGB input.
  """
  layers = conv_layers(model)
  if not layers:
    raise ValueError(f"Model {model.name!r} has no Conv2D layer to draw.")
  kernel = np.asarray(layers[0].kernel)  # [kh, kw, in, out]
  filters = np.moveaxis(kernel, -1, 0)
  if filters.shape[-1] == 3:
    return layers[0].name, filters
  return layers[0].name, filters.mean(axis=-1)


def load_image(path: str | pathlib.Path, model: keras.Model) -> tf.Tensor:
  """Reads an image file as a [1, H, W, C] model input, like `predict` does.

  Args:
    path: PNG, JPEG, GIF or BMP file.
    model: The model whose input size and channels to convert to.

  Returns:
    float32 [1, height, width, channels] in [0, 1].

  Raises:
    inference.ImageReadError: The file is missing, not an image, or too
      large to decode (its header is read first).
  """
  image = inference.read_image(path)
  _, height, width, channels = model.input_shape
  return export.to_model_input(image[tf.newaxis], height, width, channels)


def feature_maps(model: keras.Model,
                 image: tf.Tensor) -> list[tuple[str, np.ndarray]]:
  """Every top-level conv layer's output for one image.

  Args:
    model: A model with top-level Conv2D layers.
    image: [1, H, W, C] model input.

  Returns:
    `[(layer name, [channels, h, w] activations), ...]` in layer order.
  """
  layers = conv_layers(model)
  if not layers:
    raise ValueError(f"Model {model.name!r} has no Conv2D layer to draw.")
  probe = keras.Model(model.inputs, [l.output for l in layers])
  outputs = probe(image, training=False)
  return [(l.name, np.moveaxis(np.asarray(o[0], np.float32), -1, 0))
          for l, o in zip(layers, outputs)]


def write_pictures(workdir: str | pathlib.Path,
                   image_path: str | pathlib.Path,
                   out_dir: str | pathlib.Path) -> list[pathlib.Path]:
  """Writes the filter, feature-map and curve PNGs.

  Args:
    workdir: A finished training WORKDIR.
    image_path: An image file, converted like `trainers.predict` does.
    out_dir: Where the PNGs go (created if needed).

  Returns:
    The PNGs written.
  """
  workdir, out_dir = pathlib.Path(workdir), pathlib.Path(out_dir)
  model = workdir_lib.load_model(workdir)
  written = []
  if conv_layers(model):
    name, filters = first_conv_filters(model)
    written.append(plots.plot_filters(
        filters, out_dir / f"filters_{name}.png",
        f"{name}: {len(filters)} filters"))
    image = load_image(image_path, model)
    for name, maps in feature_maps(model, image):
      written.append(plots.plot_feature_maps(
          maps, out_dir / f"feature_maps_{name}.png",
          f"{name}: {len(maps)} feature maps of "
          f"{pathlib.Path(image_path).name}"))
  else:
    print(f"Model {model.name!r} has no conv layer: no filters or feature "
          "maps to draw.")
  try:
    history = workdir_lib.read_metrics(workdir).get("history")
  except FileNotFoundError:
    history = None  # A model without its metrics: no curves to draw.
  if history:
    try:
      best_metric = workdir_lib.read_config(workdir).best_metric
    except (FileNotFoundError, workdir_lib.DamagedFileError):
      best_metric = "accuracy"  # The default picked the run's best epoch.
    written.append(plots.plot_curves(history, out_dir / "curves.png",
                                     best_metric))
  else:
    print(f"No training history in {workdir}: no curves to draw.")
  return written
