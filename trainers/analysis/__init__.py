"""Looking at trained runs: evaluation, inference, introspection, comparison.

  evaluation     confusion matrix and per-class scores on a split
  inference      classifying image files with an export
  introspection  conv filters and feature maps of a model
  comparison     several runs side by side
  grad_cam       class activation maps: where a model looked for a class
  explain        the overlays of those maps on photos
  mistakes       the most confidently wrong examples of an evaluation
  example_keys   what people call an example: photo file, CSV FILE:LINE
  out_of_fold    k fold runs and their out-of-fold class probabilities
  label_issues   ranking likely label errors (cleanlab) and their files
  issue_search   `trainers.label_issues`'s work, start to end
  issues_file    reading a label_issues.json back (`--drop_label_issues`)
"""
