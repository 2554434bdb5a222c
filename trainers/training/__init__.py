"""The training loop and everything it is made of.

  loop          `train_and_evaluate(config, workdir)`: the controller
  actions       what runs at the loop's boundaries (summaries, best weights
                and early stopping, health, precise BN, progress, the final
                test and export)
  checkpoints   saving, and resuming from the newest whole checkpoint on
                disk; the run record each checkpoint holds
  resume        whether a workdir's run may resume: its fixed flags and data
  splits        which examples train, validate and test (`auto` splits)
  exclusions    training examples left out: duplicates, label issues, a fold
  folds         stratified, seeded k-fold splits of a training split
  steps         the compiled train and eval steps and the multi-step loop
  metrics       running loss/accuracy sums and per-layer gradient norms
  state         what a checkpoint holds, the optimizer and the dtype policy
  data          what the loop knows about its dataset, and its pipelines
  precise_bn    BatchNorm statistics recomputed for the current weights
  health        divergence and vanishing-gradient checks after an epoch
  history       the per-epoch records: best epoch, patience
  stop_signals  SIGTERM / SIGINT turned into a checkpoint and a clean exit
  distribute    tf.distribute strategies, TF_CONFIG, chief and workers
"""
