"""TFDS builders for the package's datasets.

Importing this package registers every builder with TFDS, so that
`tfds.load("sign_language_mnist", data_dir=...)` and
`tfds build sign_language_mnist --imports=tfds_builders` find them.

Registering means importing TFDS, most of a second, which a command
answering a usage error from `tfds_builders.common` must not pay. So the
builders are registered at once when TFDS is already loaded (under `tfds
build`, and for everyone who imported it first), and otherwise the moment
TFDS finishes loading: either way before anyone can look a builder up.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

_TFDS = "tensorflow_datasets"
_BUILDER_MODULES = {
    "cats_dogs_dataset_builder":
        "tfds_builders.cats_dogs.cats_dogs_dataset_builder",
    "sign_language_mnist_dataset_builder":
        "tfds_builders.sign_language_mnist.sign_language_mnist_dataset_builder",
}

__all__ = ["cats_dogs_dataset_builder", "register",
           "sign_language_mnist_dataset_builder"]


def register() -> None:
  """Registers every builder of the package with TFDS (imports them)."""
  for module in _BUILDER_MODULES.values():
    importlib.import_module(module)


class _RegisterWhenTfdsLoads(importlib.abc.MetaPathFinder):
  """Registers the builders right after `tensorflow_datasets` executes."""

  def find_spec(self, fullname, path, target=None):
    del path, target
    if fullname != _TFDS:
      return None
    sys.meta_path.remove(self)  # Once; and not to find the spec below.
    spec = importlib.util.find_spec(fullname)
    if spec is None or spec.loader is None:
      return spec
    load = spec.loader.exec_module

    def load_then_register(module):
      load(module)
      register()

    spec.loader.exec_module = load_then_register
    return spec


def __getattr__(name: str):
  if name in _BUILDER_MODULES:
    return importlib.import_module(_BUILDER_MODULES[name])
  raise AttributeError(f"module 'tfds_builders' has no attribute {name!r}")


if _TFDS in sys.modules:
  register()
elif not any(isinstance(f, _RegisterWhenTfdsLoads) for f in sys.meta_path):
  sys.meta_path.insert(0, _RegisterWhenTfdsLoads())
