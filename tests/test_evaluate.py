"""Tests for the confusion matrix, the per-class report and the CLI."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers.command_line import config as config_lib
from trainers.analysis import evaluation
from trainers.training import loop

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_report_computes_precision_and_recall():
  matrix = np.array([[3, 1, 0],
                     [0, 2, 0],
                     [1, 1, 0]])
  lines = evaluation.report(matrix, ["A", "B", "C"]).splitlines()
  assert lines[0] == "accuracy 0.6250 (5/8)"
  rows = {l.split()[0]: l.split()[1:] for l in lines[2:]}
  assert rows["A"] == ["0.750", "0.750", "4"]
  assert rows["B"] == ["0.500", "1.000", "2"]
  assert rows["C"] == ["-", "0.000", "2"]  # Never predicted: no precision.


def test_confusion_matrix_counts_true_against_predicted():
  # A "model" that always predicts class 1.
  model = keras.Sequential([
      keras.Input((2, 2, 1)), keras.layers.Flatten(),
      keras.layers.Dense(3, activation="softmax", kernel_initializer="zeros",
                         bias_initializer=keras.initializers.Constant(
                             [0, 5, 0]))])
  labels = np.array([0, 1, 1, 2, 2, 2])
  dataset = tf.data.Dataset.from_tensor_slices(
      (np.zeros((6, 2, 2, 1), np.float32), labels)).batch(4)
  matrix = evaluation.confusion_matrix(model, dataset, 3)
  np.testing.assert_array_equal(matrix, [[0, 1, 0], [0, 2, 0], [0, 3, 0]])


@pytest.mark.slow
def test_cli_agrees_with_the_trainers_test_accuracy(asl_data_dir, tmp_path):
  metrics = loop.train_and_evaluate(config_lib.Config(
      data_dir=asl_data_dir, epochs=1, batch_size=16, steps_per_epoch=4,
      eval_batch_size=96, summary_images=0), tmp_path)
  out = tmp_path / "pictures"
  result = subprocess.run(
      [sys.executable, "-m", "trainers.evaluate", f"--workdir={tmp_path}",
       f"--data_dir={asl_data_dir}", "--split=test", f"--out={out}"],
      cwd=ROOT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
      capture_output=True, text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-2000:]
  accuracy = float(re.search(r"^accuracy (\S+)", result.stdout, re.M)[1])
  assert accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1e-4)
  assert len(re.findall(r"^\s+[A-Y] ", result.stdout, re.M)) == 24
  assert (out / "confusion_test.png").stat().st_size > 0
  assert f"Confusion matrix: {out / 'confusion_test.png'}" in result.stdout
  assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
