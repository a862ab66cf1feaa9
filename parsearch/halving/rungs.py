"""The training between rungs of a halving search, as one protocol.

``parsearch.halving.run.run_halving`` drives a :class:`Rungs` object: at each rung it
trains every live configuration on (``train_to``), ranks them (``rung_scores``), takes
the losers out (``stop``), rebuilds what is left (``repack``), checkpoints the
survivors (``states``), and at the last rung takes the survivors' rows and fitted models
(``finish``). Two classes implement it: ``parsearch.fused.rungs.FusedRungs`` (the
models of a fused engine in live runs; the resource is epochs) and
``parsearch.halving.partial.PartialRungs`` (scikit-learn estimators; passes of
``partial_fit``). The protocol is structural, and ``tests/test_halving.py`` checks both
against it (subclassing it would make ``parsearch.fused`` import ``parsearch.halving``,
which imports it back).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Rungs(Protocol):
    """The live configurations of a halving search and their training.

    Attributes
    ----------
    unit : str
        The resource's unit, for progress: ``"epoch"`` or ``"pass"``.
    live : list of int
        Grid positions of the configurations still training.
    """

    unit: str

    @property
    def live(self):
        """Grid positions of the configurations still training."""

    def train_to(self, resource, on_units=None):
        """Train every live configuration on to ``resource`` (epochs or passes).

        ``on_units(n)`` is called with the units as they are trained (model-epochs or
        passes, every fold counted).
        """

    def rung_scores(self):
        """``[(grid position, score)]`` of every live configuration at this rung (NaN
        when it diverged or failed)."""

    def stop(self, indices, pruned=True):
        """Take configurations out; their outcomes (``pruned`` for an ok one)."""

    def repack(self):
        """Rebuild the training of what is left after this rung's ``stop`` calls."""

    def states(self, indices=None):
        """Grid position -> the state that a checkpoint keeps to go on from this rung."""

    @staticmethod
    def encode_state(state, name, arrays):
        """A state as plain values (a checkpoint's JSON), its arrays put in ``arrays``
        under names that start with ``name``."""

    @staticmethod
    def decode_state(record, name, arrays):
        """The state that :meth:`encode_state` wrote (None: train it again from the start)."""

    def finish(self):
        """The outcomes of every live configuration after the last rung, fitted models too."""
