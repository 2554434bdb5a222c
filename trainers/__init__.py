"""Trainers: absl entry points, the shared training loop, models, and tools.

Entry points (each `python -m ...`):
  trainers.asl        train a Sign Language MNIST classifier
  trainers.predict    letters for photos, from an exported model
  trainers.evaluate   accuracy, per-class precision/recall, confusion matrix
  trainers.visualize  conv filters, feature maps and training curves
"""
