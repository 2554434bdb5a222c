"""The sample_images command writes dataset images named by their label."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests import helpers


def test_sample_images_writes_dataset_images_named_by_label(
    asl_data_dir, hand, tmp_path, capsys):
  # The command's flags and main, in this process.
  status = helpers.execute("trainers.sample_images",
                           f"--data_dir={asl_data_dir}", f"--out={tmp_path}",
                           "--count=2")
  assert status == 0, capsys.readouterr().err[-2000:]
  files = sorted(tmp_path.glob("*.png"))
  assert len(files) == 2
  assert files[0].stem.split("_")[1] in helpers.LETTERS
  np.testing.assert_array_equal(np.asarray(Image.open(files[0])), hand)
