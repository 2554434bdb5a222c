"""Tests for the export's input conversion: any photo to the model's input."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from trainers.run_dir import export


@pytest.mark.parametrize("channels", [1, 3])
def test_gray_with_alpha_reads_as_gray(channels):
  gray = tf.random.stateless_uniform((1, 10, 12, 1), seed=(0, 1))
  with_alpha = tf.concat([gray, tf.zeros_like(gray)], axis=-1)
  np.testing.assert_allclose(
      export.to_model_input(with_alpha, 5, 6, channels),
      export.to_model_input(gray, 5, 6, channels))


def test_five_channels_are_refused_saying_what_is_accepted():
  with pytest.raises(tf.errors.InvalidArgumentError, match="1 to 4 channels"):
    export.to_model_input(tf.zeros((1, 4, 4, 5)), 2, 2, 1)
