"""What the trainer commands share: the configuration, its flags, its checks.

  config        `Config`: every training option, written once (no TensorFlow
                or Keras, ever)
  recipe        its training-recipe fields (schedule, regularisation, class
                weights, progress), which `Config` inherits
  fields        how a field is declared: default, help, bounds, resume rule
  flags         absl flags derived from `Config`, in a command's own
                `FlagValues`
  preflight     the checks that need Keras or TensorFlow (the model and its
                options, `TF_CONFIG`, replicas), after parsing and before
                any work
  trainer_main  what `trainers.asl` and `trainers.cats_dogs` do once their
                flags are parsed

The contract every command of the package keeps (how flags are defined,
the one table from exceptions to a one-line message and an exit status)
is `tfds_builders.common.command`, below the pipelines and the builders,
whose commands keep it too; the flags with one meaning across commands are
`tfds_builders.common.command_flags`.
"""
