"""Trainers: absl entry points, the shared training loop, models, and tools.

Entry points (each `python -m ...`):
  trainers.asl            train a Sign Language MNIST classifier
  trainers.cats_dogs      train a cats/dogs (or any image-folder) classifier
  trainers.predict        classes for photos, from an exported model
  trainers.evaluate       accuracy, per-class precision/recall, confusion matrix
  trainers.visualize      conv filters, feature maps and training curves
  trainers.compare        several runs side by side: curves and a table
  trainers.sample_images  a few dataset images as PNG files, to try predict on
  trainers.launch_local   N multi-worker processes on this machine
  trainers.configs        the shipped flagfiles and where they are installed
"""
