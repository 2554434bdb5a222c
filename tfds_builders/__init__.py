"""TFDS builders for the package's datasets.

Importing this package registers every builder with TFDS, so that
`tfds.load("sign_language_mnist", data_dir=...)` and
`tfds build sign_language_mnist --imports=tfds_builders` find them.
"""

from tfds_builders.cats_dogs import cats_dogs_dataset_builder
from tfds_builders.sign_language_mnist import sign_language_mnist_dataset_builder

__all__ = ["cats_dogs_dataset_builder", "sign_language_mnist_dataset_builder"]
