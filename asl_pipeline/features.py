"""Which features of a dataset are its image and its class label.

A classification dataset holds one `tfds.features.Image` and one
`tfds.features.ClassLabel` among its top-level features, whatever their
names (`image`/`label`, `picture`/`category`, ...). When it holds several
of a kind, the dataset's `supervised_keys` settle it, as they do for
`tfds.load(..., as_supervised=True)`; else the caller names one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tensorflow as tf
import tensorflow_datasets as tfds


def _top_level(features) -> Mapping[str, tfds.features.FeatureConnector]:
  """The features by name (a `FeaturesDict` is no `Mapping`, but has items)."""
  return dict(features.items()) if hasattr(features, "items") else {}


def _supervised(info: tfds.core.DatasetInfo) -> Sequence[str]:
  keys = info.supervised_keys
  # Nested supervised keys (dicts or 3-tuples) name nothing usable here.
  return [k for k in keys if isinstance(k, str)] if keys else []


def _pick(found: Mapping[str, tfds.features.FeatureConnector], kind: type,
          argument: str, given: str | None, info: tfds.core.DatasetInfo,
          dataset: str) -> str:
  """The one feature of type `kind`: `given`, the only one, or supervised."""
  names = [k for k, f in found.items() if isinstance(f, kind)]
  kind_name = f"tfds.features.{kind.__name__}"
  if given is not None:
    if given not in found or not isinstance(found[given], kind):
      raise ValueError(
          f"{argument}={given!r}: dataset {dataset} has no {kind_name} "
          f"feature of that name; its {kind_name} features are {names} (all "
          f"features: {list(found)}).")
    return given
  if len(names) == 1:
    return names[0]
  if not names:
    raise ValueError(
        f"Dataset {dataset} has no {kind_name} feature (features: "
        f"{list(found)}); this pipeline needs one image and one class "
        f"label. Name the feature to use with {argument}=.")
  supervised = [k for k in _supervised(info) if k in names]
  if len(supervised) == 1:
    return supervised[0]
  raise ValueError(
      f"Dataset {dataset} has several {kind_name} features {names}; pass "
      f"{argument}= one of them.")


def image_and_label(info: tfds.core.DatasetInfo, *, dataset: str,
                    image_key: str | None = None,
                    label_key: str | None = None) -> tuple[str, str]:
  """The keys of the image and label features of a dataset.

  Args:
    info: The builder's `DatasetInfo`.
    dataset: The dataset as messages name it.
    image_key: The image feature's name; None finds it.
    label_key: The label feature's name; None finds it.

  Returns:
    `(image_key, label_key)`.

  Raises:
    ValueError: no such feature, or several and none named (the message
      names `image_key=` or `label_key=`), or images that are not uint8.
  """
  found = _top_level(info.features)
  image = _pick(found, tfds.features.Image, "image_key", image_key, info,
                dataset)
  label = _pick(found, tfds.features.ClassLabel, "label_key", label_key, info,
                dataset)
  dtype = tf.as_dtype(found[image].tf_dtype)
  if dtype != tf.uint8:
    # The pipelines scale by 1/255 and keep uint8 in their cache.
    raise ValueError(
        f"Images of dataset {dataset} ({image!r}) are {dtype.name}; this "
        "pipeline reads uint8 images.")
  return image, label
