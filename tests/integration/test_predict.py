"""The predict command: letters for image files, from a run's export.

Its flags and main run in this process; `predict` in a process of its own
is in test_inference_pixels.py.
"""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from tests import helpers


def test_cli_answers_good_files_and_fails_on_bad_ones(trained_asl_workdir,
                                                      hand, tmp_path, capsys):
  good = [helpers.save_image(hand, tmp_path / "a.png"),
          helpers.save_image(np.dstack([hand, hand // 2, hand]),
                             tmp_path / "b.jpg")]
  bad = tmp_path / "c.png"
  bad.write_bytes(b"\x89PNG but truncated")
  status = helpers.execute("trainers.predict",
                           f"--model={trained_asl_workdir}", "--top_k=2",
                           "--json", *good, str(bad))
  result = capsys.readouterr()
  assert status == 1, result.err[-2000:]
  answers = json.loads(result.out)
  assert [a["path"] for a in answers] == good + [str(bad)]
  assert all(len(a["predictions"]) == 2 for a in answers[:2])
  assert "error" in answers[2]
  assert f"{bad}: error:" in result.err


def test_cli_explain_writes_one_overlay_per_photo_at_its_size(
    trained_asl_workdir, hand, tmp_path, capsys):
  big = np.kron(hand, np.ones((2, 3), np.uint8))  # 56 x 84, not square.
  photos = [helpers.save_image(hand, tmp_path / "a.png"),
            helpers.save_image(big, tmp_path / "b.png")]
  out = tmp_path / "cams"
  status = helpers.execute("trainers.predict",
                           f"--model={trained_asl_workdir}", "--json",
                           f"--explain={out}", *photos)
  result = capsys.readouterr()
  assert status == 0, result.err[-2000:]
  answers = json.loads(result.out)
  sizes = [Image.open(a["explanation"]).size for a in answers]
  assert sizes == [(28, 28), (84, 56)]
  assert len(list(out.iterdir())) == 2
