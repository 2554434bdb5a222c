"""Resumes refused or allowed by what the run recorded in its checkpoints."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from tests import helpers
from trainers.command_line import config as config_lib
from trainers.training import loop

# Short epochs, on-device augmentation and dropout.
RUN_FLAGS = dict(epochs=1, batch_size=16, steps_per_epoch=3,
                 eval_batch_size=64, summary_images=0, test_split="",
                 augment="device", steps_per_loop=2)


def _config(data_dir, **overrides) -> config_lib.Config:
  return config_lib.Config(data_dir=data_dir, **{**RUN_FLAGS, **overrides})


# No test here reads the SavedModel export: its runs skip writing it.
pytestmark = pytest.mark.usefixtures("no_export")


@pytest.fixture(scope="module")
def first_epoch(asl_data_dir, tmp_path_factory):
  """One epoch of `RUN_FLAGS`, trained once: (workdir, config, metrics)."""
  workdir = tmp_path_factory.mktemp("resume") / "run"
  config = _config(asl_data_dir)
  with pytest.MonkeyPatch.context() as patch:
    helpers.skip_export(patch)
    return workdir, config, loop.train_and_evaluate(config, workdir)


@pytest.fixture
def run(first_epoch, tmp_path):
  """A copy of `first_epoch`'s workdir for a test to resume or damage."""
  workdir, config, metrics = first_epoch
  copy = tmp_path / "run"
  shutil.copytree(workdir, copy)
  return copy, config, metrics


def _rebuilt(tmp_path, train_rows):
  root = tmp_path / f"asl_{train_rows}"
  helpers.build_sign_language_mnist(root / "csv", root / "tfds",
                                    train_rows=train_rows, test_rows=32, seed=1)
  return str(root / "tfds")


def test_resuming_on_other_data_is_refused_naming_what_changed(
    asl_data_dir, run, tmp_path):
  workdir, config, _ = run
  before = (workdir / "metrics.json").read_text()

  # The same rows built again elsewhere: the same data, the run resumes.
  moved = tmp_path / "moved"
  shutil.copytree(asl_data_dir, moved)
  other = _rebuilt(tmp_path, train_rows=300)
  with pytest.raises(config_lib.ConfigError) as refused:
    loop.train_and_evaluate(
        dataclasses.replace(config, epochs=2, data_dir=other), workdir)
  message = str(refused.value)
  assert "training examples: the run was trained on 432" in message
  assert "fingerprint of the training records" in message
  assert (workdir / "metrics.json").read_text() == before  # Nothing ran.

  metrics = loop.train_and_evaluate(
      dataclasses.replace(config, epochs=2, data_dir=str(moved)), workdir)
  assert [h["epoch"] for h in metrics["history"]] == [1, 2]


def test_lost_side_files_change_nothing_the_checkpoint_decides(run, capsys):
  workdir, config, metrics = run
  first = metrics["history"]
  (workdir / "config.json").unlink()
  (workdir / "metrics.json").write_text('{"history": [{"ep')  # Truncated.

  # A fixed field is still refused: the checkpoint recorded the config.
  with pytest.raises(config_lib.ConfigError, match="--batch_size: the run "
                     "was trained with 16, this command asks for 8"):
    loop.train_and_evaluate(dataclasses.replace(config, batch_size=8),
                            workdir)
  metrics = loop.train_and_evaluate(dataclasses.replace(config, epochs=2),
                                    workdir)
  assert "metrics.json is missing or damaged; it is written again" in (
      capsys.readouterr().out)
  assert metrics["history"][0] == first[0]
  assert json.loads((workdir / "config.json").read_text())["epochs"] == 2


# Several fields per run: each resumes the shared first epoch twice.
@pytest.mark.parametrize("change", [
    dict(augment="none", mode="eager", steps_per_loop=1, learning_rate=1e-4,
         lr_schedule="cosine", warmup_epochs=0.5, final_lr_fraction=0.1,
         progress="none"),
    dict(augment="pipeline", precise_bn_batches=0, eval_batch_size=32,
         test_split="", checkpoint_every_steps=3, summary_images=2,
         deterministic=False, early_stopping_patience=1, weight_decay=1e-4,
         label_smoothing=0.1, clip_grad_norm=1.0, class_weight="balanced"),
])
def test_every_changeable_field_changes_on_resume(run, change):
  # Started with --augment=device: switching augmenters must restore too.
  workdir, config, _ = run
  changed = dataclasses.replace(config, epochs=2, **change)
  metrics = loop.train_and_evaluate(changed, workdir)
  assert [h["epoch"] for h in metrics["history"]] == [1, 2]
  assert config_lib.Config.from_json(
      (workdir / "config.json").read_text()) == changed
  # And back: the augmenter's random state was checkpointed all along.
  back = dataclasses.replace(changed, augment="device", epochs=3,
                             early_stopping_patience=0,
                             lr_schedule="constant")
  assert [h["epoch"] for h in loop.train_and_evaluate(back, workdir)[
      "history"]] == [1, 2, 3]
