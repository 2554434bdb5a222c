"""The trainer's data leaves out the training copies of test examples."""

from __future__ import annotations

from trainers.command_line import config as config_lib
from trainers.training import data as data_lib


def test_the_trainer_leaves_the_copies_out_and_says_how_many(planted, capsys):
  config = config_lib.Config(
      data_dir=planted["data_dir"], train_split="train", validation_split="",
      test_split="test", batch_size=4, drop_cross_split_duplicates=True)
  spec = data_lib.DataSpec.create(config.validate())
  count = len(planted["images"]["train"])
  assert len(spec.exclude_ids) == 5
  out = capsys.readouterr().out
  assert f"leaving out 5 of the {count} training examples" in out
  assert f"train {count - 5} examples" in out
  assert spec.steps_per_epoch == (count - 5) // 4
  batch, _ = next(iter(spec.train(seed=0)))
  assert batch.shape[0] == 4
