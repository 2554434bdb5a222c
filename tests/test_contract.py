"""The command-line contract: one table from exceptions to exit statuses."""

from __future__ import annotations

import importlib
import subprocess
import sys

from absl import flags
import pytest

from tests import helpers
from tfds_builders.common import command

COMMANDS = ("trainers.asl", "trainers.cats_dogs", "trainers.predict",
            "trainers.evaluate", "trainers.export", "trainers.visualize",
            "trainers.compare",
            "trainers.sample_images", "trainers.launch_local",
            "trainers.configs.__main__", "asl_pipeline.preview",
            "asl_pipeline.service", "tfds_builders.report.__main__")


class _Stopped(Exception):
  """Like a run stopped by a signal: it carries its status."""

  def __init__(self):
    super().__init__("saved the step")
    self.exit_code = 143


def _define(flag_values):
  flags.DEFINE_integer("count", 1, "How many.", lower_bound=1,
                       flag_values=flag_values)


def _run(raised: BaseException | None, *args: str) -> int:
  def main(flag_values, positional):
    del flag_values, positional
    if raised is not None:
      raise raised

  return command.execute(_define, main, ["prog", *args], "prog")


@pytest.mark.parametrize("raised, status", [
    (command.UsageError("--count=3: too many"), 2),
    (NotADirectoryError("a file, not a folder"), 2),
    (FileNotFoundError("no such dataset"), 2),
    (ConnectionError("nobody answers at localhost:1"), 2),
    (FloatingPointError("the loss became NaN"), 1),
    (RuntimeError("Could not start gRPC server"), 1),
    (ValueError("a bug's message"), 1),
    (KeyboardInterrupt(), 130),
    (_Stopped(), 143),
    (None, 0),
])
def test_one_table_maps_what_main_raises_to_the_exit_status(raised, status,
                                                            capsys):
  assert _run(raised) == status
  err = capsys.readouterr().err
  if raised is None or isinstance(raised, _Stopped):
    assert err == ""  # A stopped run has said why itself.
  else:
    assert len(err.splitlines()) == 1 and err.startswith("prog: ")


def test_a_flag_error_is_one_line_naming_the_flag(capsys):
  assert _run(None, "--count=0") == 2
  assert capsys.readouterr().err == (
      "prog: error: flag --count=0: 0 is not a positive integer\n")
  assert _run(None, "--cuont=2") == 2
  assert "'cuont'" in capsys.readouterr().err


def test_a_foreign_failure_is_its_first_line_and_a_traceback_needs_v(capsys):
  error = RuntimeError("first line\nsecond line")
  assert _run(error) == 1
  assert capsys.readouterr().err == "prog: error: first line\n"
  assert _run(error, "-v", "0") == 1
  err = capsys.readouterr().err
  assert "Traceback" in err and err.endswith("prog: error: first line\n")


def test_a_usage_error_of_ours_is_kept_whole(capsys):
  assert _run(command.UsageError("cannot resume:\n  --model: a, b")) == 2
  assert capsys.readouterr().err == (
      "prog: error: cannot resume:\n  --model: a, b\n")


def test_help_prints_the_docstring_and_every_flag(capsys):
  for arg in ("--help", "-h", "--helpfull"):
    assert _run(RuntimeError("never runs"), arg) == 0
    out = capsys.readouterr().out
    assert "The command-line contract" in out  # this module's docstring
    assert "--count:" in out and "(default: '1')" in out
    assert "--verbosity (-v):" in out


def test_blame_names_the_flag_of_a_rejected_value():
  with pytest.raises(command.UsageError,
                     match=r"^--split=nope: Unknown split 'nope'$"):
    with command.blame("split", "nope"):
      raise ValueError("Unknown split 'nope'\nmore detail")


def test_command_modules_define_no_global_flags_and_share_a_process():
  import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
  import tensorflow_datasets  # pylint: disable=g-import-not-at-top,unused-import
  before = set(flags.FLAGS)
  modules = [importlib.import_module(name) for name in COMMANDS]
  assert set(flags.FLAGS) == before
  for module in modules:
    flag_values = flags.FlagValues()
    module.define_flags(flag_values)  # each in its own FlagValues


def test_parsing_a_trainer_command_line_loads_no_tensorflow():
  program = (
      "import sys\n"
      "from absl import flags\n"
      "import asl_pipeline\n"
      "from trainers import cats_dogs\n"
      "from trainers.command_line import flags as trainer_flags\n"
      "fv = flags.FlagValues()\n"
      "cats_dogs.define_flags(fv)\n"
      "fv(['cats_dogs', '--workdir=/tmp/w', '--image_size=64',\n"
      "    '--finetune=head', '--weights=imagenet', '--model=resnet',\n"
      "    '--data_service=grpc://localhost:5050', '--augment=pipeline'])\n"
      "trainer_flags.config_from_flags(fv, cats_dogs.DEFAULTS,\n"
      "                                cats_dogs.MODEL_OPTIONS)\n"
      "print(sorted({m.split('.')[0] for m in sys.modules}\n"
      "             & {'tensorflow', 'keras', 'tensorflow_datasets'}))\n")
  result = subprocess.run(
      [sys.executable, "-c", program], env=helpers.command_env(),
      capture_output=True, text=True, timeout=120, check=True)
  assert result.stdout.strip() == "[]"


def test_importing_the_pipelines_imports_no_trainer_and_no_tensorflow():
  result = subprocess.run(
      [sys.executable, "-c",
       "import asl_pipeline, sys\n"
       "assert asl_pipeline.AUGMENT_MODES\n"
       "print([m for m in sys.modules if m.startswith('trainers')],\n"
       "      'tensorflow' in sys.modules)"], env=helpers.command_env(),
      capture_output=True, text=True, timeout=120, check=True)
  assert result.stdout.split() == ["[]", "False"]
