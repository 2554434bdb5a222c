"""cats_dogs: labelled photos from an image-folder tree, checked and upright."""

from __future__ import annotations

import collections

from absl import logging
from etils import epath
import tensorflow_datasets as tfds

from tfds_builders import config_fields
from tfds_builders.cats_dogs import folder_source
from tfds_builders.common import image_files
from tfds_builders.common import reuse_notice

CATS_DOGS = "cats_dogs"
FOLDER = "folder"
_DATASET = "cats_dogs"


class CatsDogsConfig(tfds.core.BuilderConfig):
  """How the tree is read and how large the stored images may be.

  Attributes:
    layout: `cats_dogs` (classes cat and dog) or `folder` (any
      ImageFolder-style tree, class names from its folders or label.csv).
    max_side: If set, images are shrunk so that their longer side is at most
      this many pixels; None keeps every image's size.
    jpeg_quality: Quality of the images that have to be re-encoded.
    workers: Decoding threads of an in-process build; None uses every core
      this process may use. A Beam build uses the runner's workers instead.
  """

  def __init__(self, *, layout: str = CATS_DOGS, max_side: int | None = None,
               jpeg_quality: int = 95, workers: int | None = None, **kwargs):
    """Checks every field, naming the one that is wrong.

    Raises:
      config_fields.ConfigError: A field holds a value it cannot take (a
        config given as JSON may hold any).
    """
    super().__init__(**kwargs)
    name = config_fields.check_name(_DATASET, self.name)
    self.layout = config_fields.check_choice(
        _DATASET, name, "layout", layout, (CATS_DOGS, FOLDER))
    self.max_side = config_fields.check_whole_number(
        _DATASET, name, "max_side", max_side, low=1, unit="pixels",
        none_means="no cap")
    # Pillow takes 0..100; 0 is useless, and above 95 only grows files.
    self.jpeg_quality = config_fields.check_whole_number(
        _DATASET, name, "jpeg_quality", jpeg_quality, low=1, high=100)
    self.workers = config_fields.check_whole_number(
        _DATASET, name, "workers", workers, low=1, unit="threads",
        none_means="every core")


def capped_config(max_side: int, layout: str = CATS_DOGS) -> CatsDogsConfig:
  """A config that caps the longer side of every stored image.

  Args:
    max_side: Longest side in pixels.
    layout: `cats_dogs` or `folder`.

  Returns:
    A config named `<layout>_max<max_side>`, for `tfds.builder(...,
    config=...)`; load it back as `tfds.load("cats_dogs/<that name>")`.
  """
  return CatsDogsConfig(
      name=f"{layout}_max{max_side}", layout=layout, max_side=max_side,
      description=f"The {layout} layout, longer side capped at {max_side}.")


class Builder(reuse_notice.SaysWhenReused, tfds.core.GeneratorBasedBuilder):
  """DatasetBuilder for a folder of labelled photos."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {
      "1.0.0": "Initial release.",
  }
  MANUAL_DOWNLOAD_INSTRUCTIONS = """\
  Place in `manual_dir` (or in one folder inside it, as an extracted zip
  leaves it) the split folders, each with one folder per class:

      train/cats/*.jpg  train/dogs/*.jpg  test/cats/*.jpg  test/dogs/*.jpg

  Split folders may be train, test, valid or validation. Each may hold a
  `label.csv` of `path,label` rows (0 = cat, 1 = dog, or a class name;
  header optional; paths relative to the split folder or the root), which
  wins over the folders. The `folder` config reads any class names.

  The public downloads work as extracted: Microsoft's `PetImages/{Cat,Dog}`
  (one `train` split) and Kaggle's `train/cat.0.jpg ...` (labelled by name).

  No data? `python -m tfds_builders.cats_dogs.make_sample --out DIR` writes
  a synthetic set in this layout.
  """
  BUILDER_CONFIGS = [
      CatsDogsConfig(
          name=CATS_DOGS, layout=CATS_DOGS,
          description="Classes cat and dog from cat(s)/dog(s) folders."),
      CatsDogsConfig(
          name=FOLDER, layout=FOLDER,
          description="Any ImageFolder tree; class names from its folders."),
  ]
  # Set for each build: whether `download_and_prepare` was given Beam options
  # or a runner, which makes the images be checked by Beam workers.
  _use_beam = False

  def _info(self) -> tfds.core.DatasetInfo:
    config = self.builder_config
    # The `folder` classes are only known once the tree is read; the names
    # are filled in by `_split_generators` and saved with the dataset.
    names = (list(folder_source.CATS_DOGS_NAMES)
             if config.layout == CATS_DOGS else None)
    return self.dataset_info_from_configs(
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(None, None, 3),
                                         encoding_format="jpeg"),
            "label": tfds.features.ClassLabel(names=names),
            "file_name": tfds.features.Text(),
        }),
        supervised_keys=("image", "label"),
        homepage="https://www.kaggle.com/c/dogs-vs-cats",
        metadata=tfds.core.MetadataDict(),
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    """Lists and labels every file; images are checked while generating."""
    config = self.builder_config
    root = folder_source.find_root(epath.Path(dl_manager.manual_dir))
    names, sources = folder_source.scan(root, config.layout)
    label_feature = self.info.features["label"]
    if config.layout == FOLDER:
      label_feature.names = names
    logging.info("cats_dogs: root %s, classes %s, files %s", root, names,
                 {split: len(s.entries) for split, s in sources.items()})
    # Filled in by each split's generator when it finishes, which is before
    # TFDS writes the metadata at the end of `download_and_prepare`.
    self.info.metadata.update({
        "class_names": names,
        "max_side": config.max_side,
        "counts": {},
        "skipped_examples": {},
    })
    if self._use_beam:
      # Imported only for Beam builds: Beam takes a second to import.
      from tfds_builders.cats_dogs import beam_build  # pylint: disable=g-import-not-at-top
      self._beam_sources = sources
      return {split: beam_build.CheckImages(
          source, epath.Path(self.data_dir), max_side=config.max_side,
          quality=config.jpeg_quality) for split, source in sources.items()}
    return {split: self._generate_examples(source)
            for split, source in sources.items()}

  def _generate_examples(self, source: folder_source.SplitSource):
    """Yields checked images keyed by their path relative to the root."""
    config = self.builder_config
    counts = collections.Counter(source.counts)
    examples = {k: list(v) for k, v in source.examples.items()}

    def check(entry):
      try:
        return image_files.to_rgb_jpeg(
            image_files.read_file(entry.path), max_side=config.max_side,
            quality=config.jpeg_quality)
      except image_files.SkippedImage as e:
        return e

    workers = config.workers or image_files.default_workers()
    for entry, result in zip(
        source.entries,
        image_files.ordered_map(check, source.entries, workers=workers)):
      if isinstance(result, image_files.SkippedImage):
        counts[result.reason] += 1
        examples.setdefault(result.reason, []).append(entry.key)
        logging.warning("cats_dogs: skipping %s (%s)", entry.key, result)
        continue
      counts.update(result.notes)
      counts["examples"] += 1
      yield entry.key, {"image": result.jpeg, "label": entry.label,
                        "file_name": entry.key}
    self._record_counts(source.name, counts, examples)

  def _record_counts(self, split: str, counts: collections.Counter,
                     examples: dict[str, list[str]]) -> None:
    """Puts a split's counts and first skipped keys into the metadata."""
    self.info.metadata["counts"][split] = dict(sorted(counts.items()))
    self.info.metadata["skipped_examples"][split] = {
        reason: keys[:20] for reason, keys in sorted(examples.items())}

  def _process_pipeline_result(self, pipeline_result) -> None:
    """After a Beam build: the workers' tallies into the metadata."""
    from tfds_builders.cats_dogs import beam_build  # pylint: disable=g-import-not-at-top
    del pipeline_result  # The tallies are in files; see beam_build.
    for split, source in self._beam_sources.items():
      self._record_counts(
          split, *beam_build.read_summary(source, epath.Path(self.data_dir)))

  def _download_and_prepare(self, dl_manager, download_config, **kwargs):
    """Builds every split, then logs what was skipped or overridden."""
    self._use_beam = (download_config.beam_options is not None or
                      download_config.beam_runner is not None)
    super()._download_and_prepare(dl_manager, download_config, **kwargs)
    for split, counts in sorted(self.info.metadata.get("counts", {}).items()):
      logging.info("cats_dogs %s: %s", split, ", ".join(
          f"{key}={value}" for key, value in counts.items()))
