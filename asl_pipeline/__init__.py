"""Reusable tf.data input pipelines for image classification over TFDS.

    import asl_pipeline as ap
    ds = ap.train_dataset("sign_language_mnist", batch_size=32,
                          data_dir=..., seed=0, repeat=False)
    ev = ap.eval_dataset("sign_language_mnist", batch_size=256, data_dir=...)
    model.fit(ds, epochs=5, validation_data=ev)

    # Augmentation on the accelerator instead of in tf.data:
    ds = ap.train_dataset(..., augment="device", repeat=False)
    augmented = ap.with_augmentation(model)   # augments in fit only
    augmented.compile(...)
    augmented.fit(ds, epochs=5, validation_data=ev)

The names below are the public API. Each loads its module on first use
(PEP 562), so importing the package loads no TensorFlow: a command of the
package can answer a usage error before it loads, and `python -m
asl_pipeline.service` runs a module nobody imported yet. Reading a dataset
registers the package's own builders with TFDS (`tfds_builders`).
"""

from __future__ import annotations

import importlib

# Public name -> the module that defines it.
_EXPORTS = {
    "AUGMENT_MODES": "asl_pipeline.options",
    "AugmentationChain": "asl_pipeline.augment",
    "Augmenter": "asl_pipeline.augment",
    "DatasetInfo": "asl_pipeline.sources",
    "LABEL_MODES": "asl_pipeline.options",
    "RandomAffine": "asl_pipeline.augment",
    "eval_dataset": "asl_pipeline.pipeline",
    "info": "asl_pipeline.sources",
    "make_augmenter": "asl_pipeline.augment",
    "package_datasets": "asl_pipeline.sources",
    "start_local_cluster": "asl_pipeline.service",
    "train_dataset": "asl_pipeline.pipeline",
    "with_augmentation": "asl_pipeline.augment",
}
_SUBMODULES = ("service",)

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str):
  if name in _EXPORTS:
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
  elif name in _SUBMODULES:
    value = importlib.import_module(f"{__name__}.{name}")
  else:
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
  globals()[name] = value  # Found at once next time.
  return value


def __dir__() -> list[str]:
  return sorted({*globals(), *__all__})
