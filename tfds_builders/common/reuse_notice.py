"""Saying so when `tfds build` keeps a dataset built earlier.

TFDS skips a build whose output folder already exists and says so only at
INFO level ("Reusing dataset"), which the console hides: a user who points
`--manual_dir` at new source files then trains on the old ones. The
builders of this package say it as a warning, with the flag that rebuilds.
"""

from __future__ import annotations

from absl import logging
import tensorflow_datasets as tfds


class SaysWhenReused:
  """A builder mixin: a warning when `download_and_prepare` builds nothing."""

  def download_and_prepare(self, *args, download_config=None, **kwargs):
    config = download_config or tfds.download.DownloadConfig()
    if (not config.download_mode.overwrite_dataset
        and self.data_path.exists()):
      logging.warning(
          "%s is already built in %s: kept as it is, nothing was read from "
          "--manual_dir. To build it again from the source files, add "
          "--overwrite (or use another --data_dir).", self.info.full_name,
          self.data_dir)
    return super().download_and_prepare(*args,
                                        download_config=download_config,
                                        **kwargs)
