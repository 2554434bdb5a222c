r"""Accuracy, per-class precision/recall and a confusion matrix for a run.

  python -m trainers.evaluate --workdir=WORKDIR --data_dir=DATA_DIR \
      --split=test [--out=DIR]

Prints the accuracy and each class's precision and recall, and draws the
confusion matrix into `DIR/confusion_<split>.png` (DIR defaults to the
WORKDIR). The dataset, its image size and (unless given) its data directory
are the run's own.
"""

from __future__ import annotations

import pathlib

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.common import data_dirs


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_workdir(flag_values, "The training run to evaluate.",
                               read=True)
  command_flags.define_data_dir(
      flag_values, "TFDS data directory; default the run's own.")
  command_flags.define_split(flag_values, "test", "TFDS split to evaluate.")
  flags.DEFINE_integer("batch_size", 256, "Batch size.", lower_bound=1,
                       flag_values=flag_values)
  command_flags.define_out_dir(
      flag_values, "Directory for confusion_<split>.png; default the "
      "WORKDIR.")


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Evaluates the run's model on the split and draws the matrix."""
  if args:
    raise command.UsageError(f"unexpected arguments: {' '.join(args)}")
  # pylint: disable=g-import-not-at-top
  from trainers.run_dir import workdir as workdir_lib
  # pylint: enable=g-import-not-at-top
  run_dir, split = flag_values.workdir, flag_values.split
  with command.blame("workdir", run_dir):
    config = workdir_lib.read_config(run_dir)
  data_dir = flag_values.data_dir or config.data_dir
  data_dirs.check_built(config.dataset, data_dir)
  # pylint: disable=g-import-not-at-top
  import asl_pipeline
  from trainers.analysis import evaluation
  from trainers.run_dir import plots
  # pylint: enable=g-import-not-at-top
  info = asl_pipeline.info(config.dataset, data_dir)
  with command.blame("split", split):
    dataset = asl_pipeline.eval_dataset(
        config.dataset, batch_size=flag_values.batch_size, split=split,
        data_dir=data_dir, image_size=config.image_size)
  model = workdir_lib.load_model(run_dir)
  matrix = evaluation.confusion_matrix(model, dataset, info.num_classes)
  print(f"{config.dataset} {split}, model {run_dir}")
  print(evaluation.report(matrix, info.class_names))
  out = workdir_lib.confusion_png(pathlib.Path(flag_values.out or run_dir),
                                  split)
  out.parent.mkdir(parents=True, exist_ok=True)
  plots.plot_confusion(matrix, info.class_names, out,
                       f"{config.dataset} {split}")
  print(f"Confusion matrix: {out}")


if __name__ == "__main__":
  command.run(define_flags, main)
