"""Successive halving, as one package: its settings, its schedule, its rungs and its run.

- ``settings.py``: :class:`Halving` (what the caller asks for), checked
  (``check_halving``) and resolved against the estimator and the grid
  (``resolve_halving``);
- ``schedule.py``: the rungs (``rung_resources``) and who goes on at each (``survivors``);
- ``rungs.py``: :class:`~parsearch.halving.rungs.Rungs`, the protocol of the training
  between rungs, which both implementations declare: ``parsearch.fused.rungs.FusedRungs``
  (an engine's models in live fused runs) and ``parsearch.halving.partial.PartialRungs``
  (scikit-learn estimators, passes of ``partial_fit``);
- ``run.py``: a halving search's run phase (every rung trained, ranked, pruned and
  checkpointed; resuming from the checkpoint).
"""

from parsearch.halving.schedule import (
    describe,
    expected_candidates,
    n_survivors,
    rung_resources,
    survivors,
)
from parsearch.halving.settings import Halving, check_halving, resolve_halving

__all__ = [
    "Halving",
    "check_halving",
    "describe",
    "expected_candidates",
    "n_survivors",
    "resolve_halving",
    "rung_resources",
    "survivors",
]
