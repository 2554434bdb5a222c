"""The run directory: what a run writes and how it is read back.

  workdir    the file names of a run, and reading a run back
  lock       one run at a time in a workdir
  export     the SavedModel that takes any photo
  summaries  TensorBoard scalars and images
  plots      curves, filters, feature maps, confusion matrices
  grids      example images with captions: mistakes, label issues
"""
