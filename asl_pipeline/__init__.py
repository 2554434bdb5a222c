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

Importing the package also imports `tfds_builders`, which registers the
package's datasets with TFDS.
"""

import sys as _sys


def _quiet_own_command() -> None:
  """Quiets the console when Python runs one of this package's commands.

  `python -m asl_pipeline.preview` (or `.service`) imports this package,
  and with it TensorFlow, before the command's own code runs; so the
  command's console is made quiet here (see `tfds_builders.common.console`). Python
  sets `sys.argv[0]` to "-m" only while it locates the module to run, so a
  program that merely imports the library is left alone.
  """
  argv = getattr(_sys, "orig_argv", [])
  if (_sys.argv[:1] == ["-m"] and "-m" in argv[:-1] and
      argv[argv.index("-m") + 1].startswith(__name__ + ".")):
    from tfds_builders.common import console  # pylint: disable=g-import-not-at-top
    console.quiet(argv[argv.index("-m") + 1:])


_quiet_own_command()

# pylint: disable=g-import-not-at-top,wrong-import-position
from asl_pipeline.augment import AugmentationChain
from asl_pipeline.augment import Augmenter
from asl_pipeline.augment import make_augmenter
from asl_pipeline.augment import RandomAffine
from asl_pipeline.augment import with_augmentation
from asl_pipeline.pipeline import AUGMENT_MODES
from asl_pipeline.pipeline import LABEL_MODES
from asl_pipeline.pipeline import eval_dataset
from asl_pipeline.pipeline import train_dataset
from asl_pipeline.sources import DatasetInfo
from asl_pipeline.sources import info
from asl_pipeline.sources import package_datasets

__all__ = [
    "AUGMENT_MODES",
    "AugmentationChain",
    "Augmenter",
    "DatasetInfo",
    "LABEL_MODES",
    "RandomAffine",
    "eval_dataset",
    "info",
    "make_augmenter",
    "package_datasets",
    "service",
    "start_local_cluster",
    "train_dataset",
    "with_augmentation",
]

# `service` and `start_local_cluster` load on first use: importing the module
# here would make `python -m asl_pipeline.service` run a module that is
# already imported (runpy warns that this "may result in unpredictable
# behaviour").
def __getattr__(name: str):
  if name in ("service", "start_local_cluster"):
    import importlib  # pylint: disable=g-import-not-at-top
    service = importlib.import_module("asl_pipeline.service")
    return service if name == "service" else service.start_local_cluster
  raise AttributeError(f"module 'asl_pipeline' has no attribute {name!r}")
