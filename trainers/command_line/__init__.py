"""What every command shares: the configuration, its flags, the contract.

  config        `Config`: every training option, written once (no TensorFlow)
  flags         absl flags derived from `Config`, and the flags every
                command shares (the run directory, --out, --image_size, ...)
  contract      how a command ends: one table from exceptions to a one-line
                message and an exit status
  trainer_main  what `trainers.asl` and `trainers.cats_dogs` do once their
                flags are parsed
"""
