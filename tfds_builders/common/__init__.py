"""The lowest layer: what builders, pipelines and trainers all need.

  console       the quiet console every command of the package starts with
  example_ids   keeping or dropping examples by their TFDS id in tf.data
  figures       matplotlib text that stays readable: measured tick labels,
                wrapped titles, figures grown until nothing is cut
  files         files and folders written whole or not at all
  image_files   safe decoding of a user's image file: size limits, checks,
                conversion to an upright RGB JPEG

Nothing here imports `asl_pipeline` or `trainers`; they import it. Only
`example_ids` loads TensorFlow.
"""
