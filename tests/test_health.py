"""Tests for the divergence checks run after each epoch."""

from __future__ import annotations

import pytest

from trainers.training import health


def test_health_check_names_exploded_loss_and_dead_gradients():
  healthy = {"epoch": 2, "train_loss": 2.5, "grad_norms": {"a": 0.1}}
  health.check(healthy, 24, 1e-3, None)
  with pytest.raises(health.DivergedError, match="exploded"):
    health.check({**healthy, "train_loss": 2.7e21}, 24, 1e6, "ckpt-4")
  with pytest.raises(health.DivergedError, match="exactly zero.*ckpt-4"):
    health.check({**healthy, "grad_norms": {"a": 0.0, "b": 0.0}}, 24, 1e6,
                 "ckpt-4")
