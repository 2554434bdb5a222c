"""The lowest layer: what builders, pipelines and trainers all need.

  console       the quiet console every command of the package starts with
  example_ids   keeping or dropping examples by their TFDS id in tf.data
  files         files and folders written whole or not at all
  image_files   safe decoding of a user's image file: size limits, checks,
                conversion to an upright RGB JPEG or to the same pixels
  image_modes   any Pillow mode to 8-bit RGB or gray (alpha on white,
                high-depth scaled)

Nothing here imports `asl_pipeline` or `trainers`; they import it. Only
`example_ids` loads TensorFlow.
"""
