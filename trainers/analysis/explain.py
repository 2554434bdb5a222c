"""Class activation map pictures for `trainers.visualize` and
`trainers.predict --explain`."""

from __future__ import annotations

from collections.abc import Sequence
import pathlib
import re

import keras
import tensorflow as tf

from tfds_builders.common import files
from trainers.analysis import grad_cam
from trainers.analysis import inference
from trainers.run_dir import export
from trainers.run_dir import plots
from trainers.run_dir import workdir as workdir_lib


def class_names(workdir: str | pathlib.Path) -> list[str]:
  """A run's class names, from its export's labels file."""
  labels = workdir_lib.find_export(workdir) / "assets" / export.LABELS_FILE
  return labels.read_text().splitlines()


def class_index(names: Sequence[str], name: str | None) -> int | None:
  """The index of class `name` (None stays None: the predicted class).

  Raises:
    ValueError: No class is called `name`, listing the classes.
  """
  if name is None:
    return None
  if name not in names:
    raise ValueError(f"no class {name!r}; the classes: {', '.join(names)}")
  return list(names).index(name)


def _cam_for(model: keras.Model, image: tf.Tensor, index: int | None,
             layer: str | None):
  """Grad-CAM of one uint8 [H, W, C] image, converted like `predict`."""
  _, height, width, channels = model.input_shape
  model_input = export.to_model_input(image[tf.newaxis], height, width,
                                      channels)
  return grad_cam.grad_cam(model, model_input, index, layer)


def write_figure(model: keras.Model, names: Sequence[str],
                 image_path: str | pathlib.Path, out_dir: str | pathlib.Path,
                 class_name: str | None = None,
                 layer: str | None = None) -> pathlib.Path:
  """`grad_cam_<class>.png`: the image beside its class activation map.

  Args:
    model: The trained model.
    names: Its class names.
    image_path: The image file.
    out_dir: Where the PNG goes.
    class_name: The class to explain; None for the predicted one.
    layer: The conv layer; None for the last one.

  Returns:
    The PNG path.

  Raises:
    grad_cam.NoConvLayerError: The model has no conv layer.
    ValueError: An unknown class or layer name.
  """
  image = inference.read_image(image_path)
  cam, index, probability = _cam_for(model, image, class_index(
      names, class_name), layer)
  layer = layer or grad_cam.conv_layer_names(model)[-1]
  return plots.plot_grad_cam(
      image.numpy(), grad_cam.overlay(image.numpy(), cam),
      pathlib.Path(out_dir) / f"grad_cam_{_safe(names[index])}.png",
      f"Grad-CAM of {names[index]} (p={probability:.3f}) at {layer}")


def write_overlays(model: keras.Model, names: Sequence[str],
                   paths: Sequence[str], out_dir: str | pathlib.Path,
                   layer: str | None = None) -> dict[str, str]:
  """One overlay PNG per image file, at the image's own size.

  Args:
    model: The trained model.
    names: Its class names.
    paths: Image files; one that cannot be read is skipped (its error is
      reported by the prediction itself).
    out_dir: Where the PNGs go, `<stem>_grad_cam.png` each.
    layer: The conv layer; None for the last one.

  Returns:
    `{image path: overlay path}` for the images drawn.
  """
  out_dir = pathlib.Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  written = {}
  for i, path in enumerate(paths):
    try:
      image = inference.read_image(path)
    except inference.ImageReadError:
      continue
    cam, index, _ = _cam_for(model, image, None, layer)
    target = out_dir / f"{i:03d}_{_safe(pathlib.Path(path).stem)}_" \
        f"{_safe(names[index])}.png"
    with files.atomic_path(target) as tmp:
      pathlib.Path(tmp).write_bytes(tf.io.encode_png(
          grad_cam.overlay(image.numpy(), cam)).numpy())
    written[path] = str(target)
  return written


def _safe(name: str) -> str:
  """A name usable in a file name on every system."""
  return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "_"
