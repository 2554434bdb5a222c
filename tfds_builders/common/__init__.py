"""The lowest layer: what builders, pipelines and trainers all need.

  command       the command-line contract: how every command of the package
                defines its flags, runs, and ends (one exception table)
  command_flags flags with one meaning across commands (--workdir, --out,
                --image_size, --dataset, --seed, ...)
  console       the quiet console every command of the package starts with
  data_dirs     where TFDS keeps built datasets; "never built" answered
                without TensorFlow
  example_ids   keeping or dropping examples by their TFDS id in tf.data
  figures       matplotlib text that stays readable: measured tick labels,
                wrapped titles, figures grown until nothing is cut
  files         files and folders written whole or not at all
  image_files   safe decoding of a user's image file: size limits, checks,
                conversion to an upright RGB JPEG or to the same pixels
  image_modes   any Pillow mode to 8-bit RGB or gray (alpha on white,
                high-depth scaled)
  reuse_notice  a warning when `tfds build` keeps an earlier build
  shards        a prepared dataset's record files: checked whole, and
                fingerprinted

Nothing here imports `asl_pipeline` or `trainers`; they import it. Only
`example_ids` and `shards` load TensorFlow.
"""
