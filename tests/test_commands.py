"""Every command keeps the contract: `--help` exits 0, and a usage error is
one line naming the flag or file, exit status 2, with nothing created."""

from __future__ import annotations

import importlib

import pytest

from tfds_builders.common import command

# Command module, a command line with one mistake (TMP is a fresh folder
# holding a file named `afile`), what the error line must contain, and a
# path the command must not create.
USAGE_ERRORS = [
    ("trainers.asl", ["--epochs=0", "--workdir=TMP/run"],
     "flag --epochs=0:", "run"),
    ("trainers.asl", ["--ema_decay=1", "--workdir=TMP/run"],
     "--ema_decay=1.0 is invalid: must be below 1", "run"),
    ("trainers.cats_dogs", ["--finetune=most", "--workdir=TMP/run"],
     "flag --finetune=most:", "run"),
    ("trainers.asl", ["--drop_label_issues=TMP/afile", "--workdir=TMP/run"],
     "--drop_label_issues='TMP/afile' is invalid: TMP/afile: ", "run"),
    ("trainers.label_issues", ["--folds=1", "--out=TMP/issues"],
     "flag --folds=1:", "issues"),
    ("trainers.label_issues", ["--dataset=none_such", "--out=TMP/issues"],
     "none_such", "issues"),
    ("trainers.predict", ["--workdir=TMP/none", "photo.png"],
     "flag --workdir=TMP/none: does not exist", "none"),
    ("trainers.evaluate", ["--model=TMP", "--out=TMP/afile"],
     "flag --out=TMP/afile: is a file", "confusion_test.png"),
    ("trainers.export", ["--workdir=TMP", "--quantize=int4"],
     "flag --quantize=int4:", "litert"),
    ("trainers.visualize", ["--model=TMP", "--image=TMP/hand.png",
                            "--out=TMP/pictures"],
     "flag --image=TMP/hand.png: no such file", "pictures"),
    ("trainers.compare", ["TMP", "--out=TMP/afile/cmp"],
     "flag --out=TMP/afile/cmp: cannot be created", "comparison.md"),
    ("trainers.sample_images", ["--count=0", "--out=TMP/images"],
     "flag --count=0:", "images"),
    ("trainers.launch_local", ["--workers=0", "--", "true"],
     "flag --workers=0:", "none"),
    ("trainers.configs.__main__", ["asll"], "No flagfile 'asll'", "none"),
    ("asl_pipeline.preview", ["--image_size=0", "--out=TMP/grid"],
     "flag --image_size=0:", "grid"),
    ("asl_pipeline.service", ["dispatcher", "--port=99999"],
     "flag --port=99999:", "none"),
    ("tfds_builders.report.__main__",
     ["sign_language_mnist", "--data_dir=TMP/empty", "--out=TMP/report"],
     "Dataset 'sign_language_mnist' is not built in data_dir='TMP/empty'",
     "report"),
]


def _execute(module_name: str, args: list[str]) -> int:
  module = importlib.import_module(module_name)
  program = module_name.removesuffix(".__main__")
  return command.execute(module.define_flags, module.main, [program, *args],
                         program)


@pytest.mark.parametrize("module_name, args, error, never",
                         USAGE_ERRORS, ids=lambda v: str(v)[:24])
def test_a_usage_error_is_one_line_exit_2_and_creates_nothing(
    module_name, args, error, never, tmp_path, capsys):
  (tmp_path / "afile").write_text("")
  before = sorted(tmp_path.rglob("*"))
  args = [a.replace("TMP", str(tmp_path)) for a in args]
  assert _execute(module_name, args) == 2
  err = capsys.readouterr().err
  program = module_name.removesuffix(".__main__")
  assert err.startswith(f"{program}: error: ")
  assert error.replace("TMP", str(tmp_path)) in err
  assert len(err.splitlines()) == 1, err
  assert sorted(tmp_path.rglob("*")) == before
  assert not list(tmp_path.rglob(never))


@pytest.mark.parametrize("module_name",
                         [row[0] for row in USAGE_ERRORS])
def test_help_describes_the_command_and_exits_0(module_name, capsys):
  assert _execute(module_name, ["--help"]) == 0
  out = capsys.readouterr().out
  program = module_name.removesuffix(".__main__")
  assert out.startswith(f"python -m {program}\n")
  assert "Flags:" in out and "--verbosity (-v):" in out


def test_the_run_directory_and_out_have_one_name_everywhere(capsys):
  for module_name in ("trainers.predict", "trainers.evaluate",
                      "trainers.visualize", "trainers.export"):
    assert _execute(module_name, ["--help"]) == 0
    out = capsys.readouterr().out
    assert "--workdir:" in out and "--model:" in out  # alias, old name
  for module_name in ("trainers.evaluate", "trainers.visualize",
                      "trainers.compare", "trainers.label_issues", "trainers.sample_images",
                      "asl_pipeline.preview", "tfds_builders.report.__main__"):
    assert _execute(module_name, ["--help"]) == 0
    assert "--out:" in capsys.readouterr().out
