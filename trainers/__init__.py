"""Trainers: the commands at the top, the library below them by concern.

Commands (each `python -m trainers.<name>`; `--help` lists its flags):
  asl            train a Sign Language MNIST classifier
  cats_dogs      train a cats/dogs (or any photo-folder) classifier
  predict        classes for photos, from a run's export or a .tflite
  evaluate       accuracy, per-class precision/recall, confusion matrix,
                 the most confidently wrong examples
  export         a run's model as LiteRT (.tflite, quantized or not) or ONNX
  label_issues   likely label errors of a training split, by k-fold
                 cross-validation (cleanlab)
  visualize      conv filters, feature maps and training curves of a run
  compare        several runs side by side: curves and a table
  sample_images  a few dataset images as PNG files, to try predict on
  launch_local   N multi-worker processes on this machine
  configs        the shipped flagfiles (`configs/*.flags`) and their paths

The library, one hop from here:
  command_line/  the configuration (`Config`, every option once, no
                 TensorFlow), the flags derived from it, and the contract
                 every command follows (one-line errors, exit statuses)
  training/      `train_and_evaluate`: the controller and the actions at its
                 boundaries, the compiled steps, metrics, the checkpointed
                 state, the data spec, learning-rate schedules, the moving
                 average of the weights, class weights, the progress
                 display, precise BN, health checks, stop signals,
                 tf.distribute, cross-validation folds
  run_dir/       the run directory: its files, the export, the LiteRT and
                 ONNX conversions, TensorBoard summaries, plots
  analysis/      what is done with a finished run: the model backends
                 (SavedModel, Keras, LiteRT), evaluation and the worst
                 mistakes, label issues from out-of-fold probabilities,
                 inference on photos, Grad-CAM, introspection of filters
                 and feature maps, comparison of runs
  models/        the model registry and the model families

Layering runs one way: `tfds_builders` <- `asl_pipeline` <- `trainers`;
what every layer needs (the quiet console, files written whole, safe image
decoding) is in `tfds_builders.common`.
"""
