"""Looking at trained runs: evaluation, inference, introspection, comparison.

  evaluation     confusion matrix and per-class scores on a split
  inference      classifying image files with an export
  introspection  conv filters and feature maps of a model
  comparison     several runs side by side
  grad_cam       class activation maps: where a model looked for a class
  explain        the overlays of those maps on photos
"""
