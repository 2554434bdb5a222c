"""Where TFDS keeps built datasets, and whether one of ours is there.

TFDS answers "is this dataset built?" only after it and TensorFlow have
loaded, five seconds or more. For the package's own datasets on a local
data directory the file system answers the common case (never built at
all) at once: TFDS writes `dataset_info.json` into
`DATA_DIR/NAME[/CONFIG]/VERSION/` when a build finishes, so a dataset
folder without one holds no built dataset. Anything less certain is left
for TFDS to decide.

Standard library only: importing this module loads no TensorFlow.
"""

from __future__ import annotations

import os
import pathlib

DEFAULT_DATA_DIR = "~/tensorflow_datasets"
# TFDS's own file, written last by a build.
_INFO_FILE = "dataset_info.json"
# `tfds new` names a builder module after its dataset.
_BUILDER_SUFFIX = "_dataset_builder.py"
_PACKAGE = pathlib.Path(__file__).resolve().parents[1]


def data_dir_or_default(data_dir: str | None) -> str:
  """The data directory TFDS reads: `data_dir`, `$TFDS_DATA_DIR`, or ~."""
  return data_dir or os.environ.get("TFDS_DATA_DIR") or DEFAULT_DATA_DIR


def package_datasets() -> list[str]:
  """Names of the datasets whose builders ship with this package."""
  return sorted(path.parent.name
                for path in _PACKAGE.glob(f"*/*{_BUILDER_SUFFIX}")
                if path.name == path.parent.name + _BUILDER_SUFFIX)


def not_built_message(name: str, data_dir: str | None, looked_in: str,
                      needs_manual_dir: bool = True,
                      config: str | None = None) -> str:
  """The one line that says a dataset is not built, and how to build it.

  Args:
    name: The dataset, `name` or `name/config`.
    data_dir: The data directory asked for; None means TFDS's default.
    looked_in: Where the built dataset would be.
    needs_manual_dir: Whether the build reads source files (`--manual_dir`).
    config: The config looked for, when `name` does not say (TFDS's
      default config).

  Returns:
    The message: the config looked for, the build command with that
    `--config`, and the configs that are built there, if any.
  """
  where = data_dir_or_default(data_dir)
  base, _, named = name.split(":")[0].partition("/")
  config = named or config
  command = f"tfds build {base} --imports=tfds_builders"
  if config:
    command += f" --config={config}"
  command += f" --data_dir={where}"
  if needs_manual_dir:
    command += " --manual_dir=<folder with the source files>"
  others = [c for c in built_configs(base, data_dir) if c != config]
  return (f"Dataset {name!r}"
          + (f" (config {config!r})" if config and not named else "")
          + f" is not built in data_dir={where!r} (looked in {looked_in}); "
          f"build it with `{command}`, or pass the data_dir that holds it."
          + (f" Built there: {', '.join(f'{base}/{c}' for c in others)} "
             "(choose one with --dataset)." if others else ""))


def built_configs(name: str, data_dir: str | None) -> list[str]:
  """The configs of `name` with a finished build in a local data_dir."""
  where = data_dir_or_default(data_dir)
  if "://" in where:
    return []
  folder = pathlib.Path(where).expanduser() / name
  return sorted({p.parent.parent.name
                 for p in folder.glob(f"*/*/{_INFO_FILE}")})


def check_built(name: str, data_dir: str | None) -> None:
  """Raises if a dataset of this package is certainly not built.

  Returns quietly whenever TFDS must decide: for datasets of other
  packages, remote data directories (`gs://...`), and a dataset folder
  that holds any finished build (of any config or version).

  Args:
    name: A TFDS name, `name`, `name/config` or with `:version`.
    data_dir: The data directory; None means TFDS's default.

  Raises:
    FileNotFoundError: the dataset folder holds no finished build.
  """
  where = data_dir_or_default(data_dir)
  base = name.split(":")[0].split("/")[0]
  if "://" in where or base not in package_datasets():
    return
  folder = pathlib.Path(where).expanduser() / base
  # NAME/VERSION or NAME/CONFIG/VERSION.
  if not any(folder.glob(f"*/{_INFO_FILE}")) and not any(
      folder.glob(f"*/*/{_INFO_FILE}")):
    raise FileNotFoundError(not_built_message(name, data_dir, str(folder)))
