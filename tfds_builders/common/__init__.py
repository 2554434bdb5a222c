"""The lowest layer: what builders, pipelines and trainers all need.

  console       the quiet console every command of the package starts with
  files         files and folders written whole or not at all
  image_files   safe decoding of a user's image file: size limits, checks,
                conversion to an upright RGB JPEG

Nothing here imports TensorFlow, `asl_pipeline` or `trainers`; they import
it.
"""
