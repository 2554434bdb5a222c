"""Fixtures both tiers share, and the rule that splits the tiers.

`make test` runs the fast tier: every test outside `tests/integration/`.
It builds one small dataset and trains one tiny run (the session fixtures
below), checks that run end to end, and otherwise tests units in this
process. `make test-all` adds `tests/integration/`: every test that starts
TensorFlow in another process (a command, a worker, a script), trains or
builds one of this package's datasets beyond the shared ones, or runs Beam
or pip. Those tests are marked `slow` here, by their folder, and nowhere
else.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import sys
from typing import Any

# Keep TensorFlow's C++ start-up banner out of test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top
from PIL import Image  # pylint: disable=g-import-not-at-top
import pytest  # pylint: disable=g-import-not-at-top

from tests import helpers  # pylint: disable=g-import-not-at-top

ASL_TRAIN_ROWS = 480
ASL_TEST_ROWS = 96
_INTEGRATION = pathlib.Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(items):
  for item in items:
    if _INTEGRATION in item.path.parents:
      item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _op_determinism_off_after_each_test():
  """Turns TensorFlow's op determinism off again after a test that ran with it.

  A run with `--deterministic` turns it on for the whole process, and under
  it a tf.data service in this process serves every example of a
  distributed epoch once per worker: a later test counting one pass would
  see each example twice.
  """
  yield
  # Only where TensorFlow was loaded: tests that never use it stay light.
  tf_config = sys.modules.get("tensorflow.python.framework.config")
  if tf_config is not None and tf_config.is_op_determinism_enabled():
    tf_config.disable_op_determinism()


@pytest.fixture(scope="session")
def asl_data_dir(tmp_path_factory) -> str:
  """A TFDS data_dir holding a small prepared `sign_language_mnist`."""
  root = tmp_path_factory.mktemp("asl")
  helpers.build_sign_language_mnist(root / "csv", root / "tfds",
                                    train_rows=ASL_TRAIN_ROWS,
                                    test_rows=ASL_TEST_ROWS, seed=0)
  return str(root / "tfds")


@dataclasses.dataclass(frozen=True)
class TrainedRun:
  """A finished run: its workdir, the config it ran and what it returned."""

  workdir: pathlib.Path
  config: Any
  metrics: dict[str, Any]


@pytest.fixture(scope="session")
def trained_asl_run(asl_data_dir, tmp_path_factory) -> TrainedRun:
  """The session's one training run; read-only to tests.

  The DLI CNN, two epochs of two steps (so the curves have a line to draw),
  with every output: checkpoints, summaries with input images, metrics,
  model.keras and the export.
  """
  # Imported here: collecting tests that never train should not load Keras.
  from trainers.command_line import config as config_lib  # pylint: disable=g-import-not-at-top
  from trainers.training import loop  # pylint: disable=g-import-not-at-top
  path = tmp_path_factory.mktemp("asl_run")
  config = config_lib.Config(
      data_dir=asl_data_dir, epochs=2, batch_size=16, steps_per_epoch=2,
      eval_batch_size=96, summary_images=2)
  return TrainedRun(path, config, loop.train_and_evaluate(config, path))


@pytest.fixture(scope="session")
def trained_asl_workdir(trained_asl_run) -> pathlib.Path:
  """The workdir of `trained_asl_run`."""
  return trained_asl_run.workdir


@pytest.fixture
def finished_run(trained_asl_workdir, tmp_path) -> pathlib.Path:
  """A copy of `trained_asl_run` (checkpoints ckpt-2 and ckpt-4) to damage."""
  copy = tmp_path / "run"
  shutil.copytree(trained_asl_workdir, copy)
  return copy


@pytest.fixture(scope="session")
def hand(asl_data_dir) -> np.ndarray:
  """The first test image, 28x28 uint8, as the dataset stores it."""
  import asl_pipeline  # pylint: disable=g-import-not-at-top
  images, _ = next(iter(asl_pipeline.eval_dataset(
      "sign_language_mnist", batch_size=1, data_dir=asl_data_dir)))
  return np.round(images.numpy()[0, :, :, 0] * 255).astype(np.uint8)


@pytest.fixture
def hand_png(hand, tmp_path) -> pathlib.Path:
  """`hand` written as a PNG file."""
  path = tmp_path / "hand.png"
  Image.fromarray(hand).save(path)
  return path


@pytest.fixture(scope="module")
def service_cluster():
  """A tf.data service dispatcher and two workers in this process.

  One per module: a job another module left running (a training run reads
  an endless stream) must not share the workers with a test that counts
  what one pass serves.
  """
  import functools  # pylint: disable=g-import-not-at-top
  from asl_pipeline import service  # pylint: disable=g-import-not-at-top
  # A worker stops only at its next heartbeat (tens of seconds apart by
  # default): beat often, so that the session does not wait at its end.
  with pytest.MonkeyPatch.context() as patch:
    patch.setattr(service._service, "WorkerConfig", functools.partial(  # pylint: disable=protected-access
        service._service.WorkerConfig, heartbeat_interval_ms=250))  # pylint: disable=protected-access
    local = service.start_local_cluster(num_workers=2)
  with local:
    yield local


@pytest.fixture
def model_registry(monkeypatch):
  """Lets a test register models; the registry is as before afterwards."""
  from trainers import models  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(models, "_REGISTRY", dict(models._REGISTRY))  # pylint: disable=protected-access
  return models


@pytest.fixture
def poisoned_mlp(model_registry) -> str:
  """Registers `tests.poisoned` for this test; returns its model name."""
  from tests import poisoned  # pylint: disable=g-import-not-at-top
  model_registry.register(poisoned.NAME)(poisoned.poisoned_mlp)
  return poisoned.NAME
