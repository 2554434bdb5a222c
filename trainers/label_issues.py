r"""Finds likely label errors in a training split by k-fold cross-validation.

  python -m trainers.label_issues --flagfile=asl_quicktest \
      --data_dir=DATA_DIR --folds=4 --out=DIR
  python -m trainers.asl --flagfile=asl --data_dir=DATA_DIR \
      --drop_label_issues=DIR/label_issues.json --workdir=WORKDIR

Trains the recipe (the trainers' flags and flagfiles, `trainers.asl`'s
defaults, or `trainers.cats_dogs`'s for a `cats_dogs` dataset) once per
fold, each without its fold, in `DIR/folds/K/`; collects every training
example's class probabilities from the model that never saw it, and ranks
the likely label errors with cleanlab (`pip install
'asl-pipeline[label-issues]'`). Writes `DIR/label_issues.md` (key, given
label, suggested label, confidence), `DIR/label_issues.json` (the same, for
`--drop_label_issues`) and `DIR/label_issues.png` (the top ones). A killed
run, rerun, skips finished folds and resumes the unfinished one.
"""

from __future__ import annotations

import dataclasses
import pathlib

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.common import data_dirs
from trainers import asl
from trainers import cats_dogs
from trainers import configs
from trainers.command_line import config as config_lib
from trainers.command_line import flags as trainer_flags


def define_flags(flag_values: flags.FlagValues) -> None:
  trainer_flags.define_flags(asl.DEFAULTS, cats_dogs.MODEL_OPTIONS,
                             flag_values=flag_values, workdir=False)
  flags.DEFINE_integer("folds", 4, "Folds of the training split; each trains "
                       "the recipe once.", lower_bound=2,
                       flag_values=flag_values)
  flags.DEFINE_integer("top", 16, "Issues drawn into label_issues.png.",
                       lower_bound=0, flag_values=flag_values)
  command_flags.define_out_dir(
      flag_values, "Directory for folds/, label_issues.md, .json and .png.",
      required=True)


def recipe(flag_values: flags.FlagValues) -> config_lib.Config:
  """The trainer config the flags give, with the dataset's trainer defaults.

  A `cats_dogs` dataset takes `trainers.cats_dogs`'s defaults (model,
  image size) for every field the command line leaves unset, as that
  trainer would.
  """
  defaults = asl.DEFAULTS
  if flag_values.dataset.split("/")[0] == cats_dogs.DEFAULTS.dataset:
    defaults = cats_dogs.DEFAULTS
    for field in dataclasses.fields(config_lib.Config):
      if field.metadata["flag"] and not flag_values[field.name].present:
        flag_values[field.name].value = getattr(defaults, field.name)
  return trainer_flags.config_from_flags(flag_values, defaults,
                                         cats_dogs.MODEL_OPTIONS)


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Runs the folds, ranks the issues and writes them."""
  command.no_arguments(args)
  # pylint: disable=g-import-not-at-top
  from trainers.analysis import label_issues
  # pylint: enable=g-import-not-at-top
  label_issues.require_cleanlab()
  config = recipe(flag_values)
  data_dirs.check_built(config.dataset, config.data_dir)
  # pylint: disable=g-import-not-at-top
  import asl_pipeline
  from trainers.command_line import preflight
  # pylint: enable=g-import-not-at-top
  with command.blame("dataset", config.dataset):
    asl_pipeline.info(config.dataset, config.data_dir)
  preflight.check(config)
  from trainers.analysis import issue_search  # pylint: disable=g-import-not-at-top
  out_dir = pathlib.Path(flag_values.out)
  paths, rows, examples = issue_search.search(
      config, out_dir, flag_values.folds, flag_values.top)
  print(f"{len(rows)} likely label issues of {examples} training examples.")
  for row in rows[:10]:
    print(f"  {row['rank']:>3}. {row['key']}: given {row['given']}, "
          f"suggested {row['suggested']} (confidence {row['confidence']:.2g})")
  print("\n".join(f"{kind:>8}: {path}" for kind, path in paths.items()))


if __name__ == "__main__":
  command.run(define_flags, main, rewrite_argv=configs.resolve_argv)
