"""Reusable tf.data input pipelines for image classification over TFDS.

    import asl_pipeline as ap
    ds = ap.train_dataset("sign_language_mnist", batch_size=32,
                          data_dir=..., augment="device", seed=0)
    ev = ap.eval_dataset("sign_language_mnist", batch_size=256, data_dir=...)
    augmenter = ap.make_augmenter(seed=0)   # for augment="device"

Importing the package also imports `tfds_builders`, which registers the
package's datasets with TFDS.
"""

from asl_pipeline import service
from asl_pipeline.augment import make_augmenter
from asl_pipeline.augment import RandomAffine
from asl_pipeline.pipeline import AUGMENT_MODES
from asl_pipeline.pipeline import eval_dataset
from asl_pipeline.pipeline import train_dataset
from asl_pipeline.service import start_local_cluster
from asl_pipeline.sources import DatasetInfo
from asl_pipeline.sources import info
from asl_pipeline.sources import package_datasets

__all__ = [
    "AUGMENT_MODES",
    "DatasetInfo",
    "RandomAffine",
    "eval_dataset",
    "info",
    "make_augmenter",
    "package_datasets",
    "service",
    "start_local_cluster",
    "train_dataset",
]
