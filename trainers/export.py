r"""Converts a finished run's model for deployment: LiteRT (or ONNX).

  python -m trainers.export --workdir=WORKDIR --format=litert \
      [--quantize=none|float16|dynamic|int8] [--representative_batches=N]
  python -m trainers.export --workdir=WORKDIR --format=onnx

writes `WORKDIR/litert/model_<quantize>.tflite` and the class names beside
it (`labels.txt`), each whole or not at all. The model takes uint8 images
`[N, height, width, channels]` at the run's image size and returns class
probabilities `[N, classes]` (float32); `trainers.predict` and
`trainers.evaluate` take the file in place of the run.

`--quantize=int8` is full-integer quantization (int8 weights and
activations, uint8 input), calibrated on `--representative_batches`
batches of the run's own training split, without augmentation; it needs
the run's dataset (`--data_dir` if it has moved). The run must have
finished training (`model.keras` and `export/`) and be one you trust.

`--format=onnx` writes `WORKDIR/onnx/model.onnx` (and `labels.txt`), taking
and returning the same as the float32 LiteRT model, for ONNX Runtime and
other runtimes; it needs `pip install tf2onnx onnx` and takes no
`--quantize`.
"""

from __future__ import annotations

from absl import flags

from tfds_builders.common import command
from tfds_builders.common import command_flags
from tfds_builders.common import data_dirs

FORMATS = ("litert", "onnx")
# `trainers.run_dir.litert.QUANTIZATIONS`, here without loading TensorFlow.
QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
# Calibration batches (of the run's --batch_size), measured on the demo
# ASL run: agreement with float32 was 97.1% at 1 batch, 97.3% at 4, 96.7% at
# 16 and 95.6% at 64. The converter calibrates by min and max, so more
# images widen the ranges and coarsen the steps (README, "Deploying").
REPRESENTATIVE_BATCHES = 4


def define_flags(flag_values: flags.FlagValues) -> None:
  command_flags.define_workdir(
      flag_values, "The finished training run to convert; it must be a run "
      "you trust.", read=True)
  flags.DEFINE_enum("format", "litert", list(FORMATS), "What to write: "
                    "litert, a .tflite file for the LiteRT interpreter; onnx, "
                    "a .onnx file (needs tf2onnx and onnx).",
                    flag_values=flag_values)
  flags.DEFINE_enum("quantize", "int8", list(QUANTIZATIONS),
                    "none: float32; float16: float16 weights; dynamic: int8 "
                    "weights; int8: int8 weights and activations, calibrated "
                    "on training images.", flag_values=flag_values)
  flags.DEFINE_integer("representative_batches", REPRESENTATIVE_BATCHES,
                       "Training batches that calibrate --quantize=int8.",
                       lower_bound=1, flag_values=flag_values)
  command_flags.define_data_dir(
      flag_values, "TFDS data directory of the calibration images; default "
      "the run's own.")


def main(flag_values: flags.FlagValues, args: list[str]) -> None:
  """Converts the run's model and prints where it went."""
  command.no_arguments(args)
  # pylint: disable=g-import-not-at-top
  from trainers.run_dir import workdir as workdir_lib
  # pylint: enable=g-import-not-at-top
  run, quantize = flag_values.workdir, flag_values.quantize
  onnx = flag_values.format == "onnx"
  if onnx and flag_values["quantize"].present and quantize != "none":
    # One float32 ONNX model; quantizing it is the runtime's business.
    raise command.UsageError(f"--quantize={quantize}: --format=onnx writes "
                             "the float32 model only")
  with command.blame("workdir", run):
    config = workdir_lib.read_config(run)
  # pylint: disable=g-import-not-at-top
  import dataclasses
  from trainers.run_dir import export
  from trainers.run_dir import litert
  from trainers.run_dir import onnx_model
  # pylint: enable=g-import-not-at-top
  if onnx:
    try:
      onnx_model.check_installed()
    except ModuleNotFoundError as e:
      raise command.UsageError(f"--format=onnx: {e}") from None
  with command.blame("workdir", run):
    class_names = export.read_class_names(workdir_lib.find_export(run))
    model = workdir_lib.load_model(run)
  data_dir = flag_values.data_dir or config.data_dir
  representative = None
  if quantize == "int8" and not onnx:
    data_dirs.check_built(config.dataset, data_dir)
    representative = litert.training_images(
        dataclasses.replace(config, data_dir=data_dir),
        flag_values.representative_batches)
  if onnx:
    path, what = onnx_model.write(run, model, class_names), "float32"
  else:
    path = litert.write(run, litert.convert(model, quantize, representative),
                        class_names, quantize)
    what = f"quantize={quantize}"
  print(f"Wrote {path} ({path.stat().st_size:,} bytes, {what}) and "
        f"{path.parent / export.LABELS_FILE}.")
  if not onnx:
    print(f"Try it: python -m trainers.predict --workdir={path} PHOTO")


if __name__ == "__main__":
  command.run(define_flags, main)
