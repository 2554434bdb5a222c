"""A quiet command, run for real, shows its own lines and no start-up noise."""

from __future__ import annotations

from tests import helpers


def test_a_quiet_command_shows_its_own_errors_and_no_start_up_noise():
  program = (
      "import sys\n"
      "from tfds_builders.common import console\n"
      "console.quiet()\n"
      "import tensorflow as tf\n"
      "import tensorflow_datasets as tfds\n"
      "from absl import logging\n"
      "logging.set_verbosity(logging.INFO)\n"
      "tf.constant(1) + 1\n"
      "tf.get_logger().info('library detail')\n"
      "import tempfile, tfds_builders\n"
      "tfds.builder('sign_language_mnist', data_dir=tempfile.mkdtemp())\n"
      "logging.info('our progress')\n"
      "print('our problem', file=sys.stderr)\n")
  env = helpers.command_env()
  del env["TF_CPP_MIN_LOG_LEVEL"]  # The noise to hide, as users get it.
  result = helpers.run_python("-c", program, env=env)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "our problem" in result.stderr and "our progress" in result.stderr
  for noise in ("InitializeLog", "cuda drivers", "cuInit", "library detail",
                "No config specified"):
    assert noise not in result.stderr
