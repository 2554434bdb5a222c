"""Sign Language MNIST dataset (TFDS builder, CSV parsing, sample writer)."""
