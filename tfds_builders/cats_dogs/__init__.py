"""cats_dogs dataset (TFDS builder, folder scanning, image checks, sample writer)."""
