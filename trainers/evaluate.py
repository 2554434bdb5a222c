r"""Accuracy, per-class precision/recall/F1 and a confusion matrix for a run.

  python -m trainers.evaluate --workdir=WORKDIR [--data_dir=DATA_DIR] \
      [--split=test] [--out=DIR] [--mistakes=16]
  python -m trainers.evaluate --workdir=WORKDIR/litert/model_int8.tflite

Without `--split`, evaluates the run's own test split, else its validation
examples (a held-out part of the training split included), and says which.
Prints the accuracy and each class's precision, recall and F1 with their
macro and weighted averages, writes them to `DIR/scores_<split>.json`, and
draws the confusion matrix into `DIR/confusion_<split>.png` (DIR defaults
to the WORKDIR). The `--mistakes` most confidently wrong examples go into
`DIR/mistakes_<split>.png` and the JSON's `mistakes`, each named by its
photo file or `CSV:LINE`. The dataset, its image size and (unless given)
its data directory are the run's own.

A LiteRT model from `trainers.export` (`WORKDIR/litert/*.tflite`) is
evaluated the same way on the same examples, through the LiteRT
interpreter; its files go to a folder named after it
(`WORKDIR/litert/model_int8/`) unless `--out` says otherwise.
"""

from __future__ import annotations

import dataclasses
import pathlib

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.common import data_dirs


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_workdir(
      flag_values, "The training run to evaluate, or a LiteRT .tflite file "
      "in its litert/ folder.", read=True, litert=True)
  command_flags.define_data_dir(
      flag_values, "TFDS data directory; default the run's own.")
  command_flags.define_split(
      flag_values, None, "TFDS split to evaluate; default the run's test "
      "split, else its validation examples.")
  flags.DEFINE_integer("batch_size", 256, "Batch size.", lower_bound=1,
                       flag_values=flag_values)
  flags.DEFINE_integer("mistakes", 16, "Most confidently wrong examples to "
                       "draw into mistakes_<split>.png and list in the JSON; "
                       "0 for none.", lower_bound=0, flag_values=flag_values)
  command_flags.define_out_dir(
      flag_values, "Directory for confusion_<split>.png, "
      "mistakes_<split>.png and scores_<split>.json; default the WORKDIR.")


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Evaluates the run's model on the split and draws the matrix."""
  command.no_arguments(args)
  # pylint: disable=g-import-not-at-top
  from trainers.run_dir import workdir as workdir_lib
  # pylint: enable=g-import-not-at-top
  model_path, split = flag_values.workdir, flag_values.split
  litert = workdir_lib.is_litert_file(model_path)
  with command.blame("workdir", model_path):
    run_dir = workdir_lib.litert_run(model_path) if litert else model_path
    config = workdir_lib.read_config(run_dir)
  data_dir = flag_values.data_dir or config.data_dir
  data_dirs.check_built(config.dataset, data_dir)
  # pylint: disable=g-import-not-at-top
  import asl_pipeline
  from tfds_builders.common import files
  from trainers.analysis import backends
  from trainers.analysis import evaluation
  from trainers.analysis import mistakes as mistakes_lib
  from trainers.run_dir import plots
  # pylint: enable=g-import-not-at-top
  info = asl_pipeline.info(config.dataset, data_dir)
  config = dataclasses.replace(config, data_dir=data_dir,
                               eval_batch_size=flag_values.batch_size)
  with command.blame("split", split):
    name, dataset = evaluation.evaluation_set(config, split, with_ids=True)
  if litert:
    with command.blame("workdir", model_path):
      model = backends.LiteRTBackend(model_path)
    default_out = pathlib.Path(model_path).with_suffix("")
  else:
    model, default_out = workdir_lib.load_model(run_dir), run_dir
  # One pass: the matrix, and the worst mistakes with their images.
  matrix, worst = mistakes_lib.scan(model, dataset, info.num_classes,
                                    flag_values.mistakes)
  worst = mistakes_lib.named(worst, config.dataset, data_dir)
  print(f"{config.dataset} {name}, model {model_path}")
  print(evaluation.report(matrix, info.class_names))
  out_dir = pathlib.Path(flag_values.out or default_out)
  out_dir.mkdir(parents=True, exist_ok=True)
  scores = workdir_lib.scores_json(out_dir, name)
  result = evaluation.scores(matrix, info.class_names)
  result["mistakes"] = mistakes_lib.as_json(worst, info.class_names)
  files.write_json(scores, result)
  out = workdir_lib.confusion_png(out_dir, name)
  plots.plot_confusion(matrix, info.class_names, out,
                       f"{config.dataset} {name}")
  print(f"Scores: {scores}\nConfusion matrix: {out}")
  if flag_values.mistakes:
    grid = mistakes_lib.plot(
        worst, info.class_names, workdir_lib.mistakes_png(out_dir, name),
        f"{config.dataset} {name}: the {len(worst)} most confident mistakes")
    print(f"Mistakes: {grid}")


if __name__ == "__main__":
  command.run(define_flags, main)
