"""A live fused run: K models of one engine trained at once, epoch by epoch.

:class:`LiveRun` is the lifecycle that every fused engine shares, on top of the engine's
:class:`~parsearch.engine.FusedModels` (the layout and the math):

- every model sees the same minibatches, in an order fixed by the seed per epoch
  (:func:`batch_orders`), so training to epoch E in one call or in several, in one run
  or in a run rebuilt from states, gives the same models;
- after each epoch, a model whose loss, parameters or outputs turned NaN or infinite is
  frozen (zeroed, its learning rate 0) and marked diverged; models never mix, so the
  others train on exactly as before;
- after each epoch, each model's validation outputs are scored (:class:`FusedOutcome`
  keeps the curve), a metric that fails for one model failing that model alone;
- models can be taken out as a :class:`ModelState` and a run rebuilt from the states of
  models of several runs (halving's repack, a checkpoint).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class FusedOutcome:
    """What one model of a fused run ended with.

    Attributes
    ----------
    layers : list
        Its weights as host arrays (the engine's layout: for the MLP, weight (out, in)
        and bias (out,) of each layer), set when the run gives its results.
    train_loss : list of float
        Mean training loss of each epoch.
    epoch_scores : list of float
        Validation score after each epoch, empty without a validation set.
    diverged_epoch : int or None
        The epoch (1-based) at whose end the model was found diverged: its training loss,
        a parameter, or a validation output had become NaN or infinite.
    score_error : str or None
        Why the last epoch's score is missing: the metric raised for this model's
        outputs, or gave NaN or infinity (the score is then NaN or that value).
    alone : str or None
        Why the model trained one at a time rather than fused, where its engine had to
        (the models' ``alone`` attribute, see ``parsearch.engine.FusedModels``).
    """

    layers: list
    train_loss: list = field(default_factory=list)
    epoch_scores: list = field(default_factory=list)
    diverged_epoch: int | None = None
    score_error: str | None = None
    alone: str | None = None


@dataclass
class ModelState:
    """One model of a live fused run, taken out of it: enough to train it on elsewhere.

    Its hyperparameters are not in it: they are its configuration's, and the engine
    takes them from the configured model when it rebuilds a run (``Engine.resume``).
    Everything here is arrays and plain values (:meth:`to_record`), so a checkpoint holds
    no code.

    Attributes
    ----------
    layers : list of tuple of ndarray
        Its weights (the engine's layout, as host arrays: for the MLP, (weight, bias) of
        each layer).
    buffers : dict
        Its optimizer state, name -> arrays laid out as ``layers``.
    steps : int
        Optimizer steps taken (the same for every model of a run).
    outcome : FusedOutcome
        Its training loss and scores so far (``layers`` unset).
    """

    layers: list
    buffers: dict
    steps: int
    outcome: FusedOutcome

    def to_record(self, name, arrays):
        """The state as plain values, its arrays added to ``arrays`` under ``name/...``.

        Parameters
        ----------
        name : str
            A prefix unique to this state in ``arrays``.
        arrays : dict
            Name -> ndarray; filled in.

        Returns
        -------
        dict
            JSON-able: the shape of ``layers`` and ``buffers``, ``steps``, the outcome.
        """

        def put(group, layers):
            for i, layer in enumerate(layers):
                for j, array in enumerate(layer):
                    arrays[f"{name}/{group}/{i}/{j}"] = np.asarray(array)
            return [len(layer) for layer in layers]

        outcome = self.outcome
        return {
            "layers": put("layers", self.layers),
            "buffers": {key: put(f"buffers/{key}", value) for key, value in self.buffers.items()},
            "steps": int(self.steps),
            "train_loss": [float(v) for v in outcome.train_loss],
            "epoch_scores": [float(v) for v in outcome.epoch_scores],
            "diverged_epoch": outcome.diverged_epoch,
            "score_error": outcome.score_error,
        }

    @classmethod
    def from_record(cls, record, name, arrays):
        """The state that :meth:`to_record` wrote under ``name``.

        Raises
        ------
        KeyError, TypeError, ValueError
            When the record or its arrays are not such a state.
        """

        def get(group, lengths):
            return [
                tuple(np.asarray(arrays[f"{name}/{group}/{i}/{j}"]) for j in range(int(n)))
                for i, n in enumerate(lengths)
            ]

        diverged = record["diverged_epoch"]
        outcome = FusedOutcome(
            layers=[],
            train_loss=[float(v) for v in record["train_loss"]],
            epoch_scores=[float(v) for v in record["epoch_scores"]],
            diverged_epoch=None if diverged is None else int(diverged),
            score_error=None if record["score_error"] is None else str(record["score_error"]),
        )
        return cls(
            layers=get("layers", record["layers"]),
            buffers={k: get(f"buffers/{k}", v) for k, v in dict(record["buffers"]).items()},
            steps=int(record["steps"]),
            outcome=outcome,
        )


@dataclass
class RunData:
    """A fold's data in the form its engine trains on (an engine's ``run_data`` builds it),
    shared by every run of the fold.

    Attributes
    ----------
    X, y : array-like
        Training inputs (n, ...) and labels encoded in ``range(n_classes)`` (n,), as the
        engine holds them (torch tensors on the models' device, numpy arrays, ...).
    n_classes : int
        Classes of the fold's training labels.
    X_val : array-like or None
        Validation inputs, scored after every epoch with ``score``.
    score : callable or None
        ``score(outputs)`` -> float for one model's validation outputs.
    proba : bool
        Whether ``score`` takes probabilities or class indices.
    """

    X: object
    y: object
    n_classes: int
    X_val: object = None
    score: object = None
    proba: bool = True

    @property
    def scoring(self):
        """Whether every epoch ends with a validation score."""
        return self.X_val is not None and self.score is not None


def batch_orders(n_samples, epochs, seed):
    """Shuffled sample order of every epoch, fixed by the seed.

    Returns
    -------
    list of ndarray
        One permutation of ``range(n_samples)`` per epoch.
    """
    rng = np.random.default_rng(int(seed))
    return [rng.permutation(n_samples) for _ in range(epochs)]


def score_outputs(score, outputs):
    """One model's validation score, and why it is missing, if it is.

    A metric that raises or gives NaN for one model's outputs (a degenerate model) must
    not stop the others: that model's score is NaN (or the non-finite value) and its row
    fails alone, as a configuration does on the scikit-learn path.
    """
    try:
        value = float(score(outputs))
    except Exception as exc:
        return math.nan, f"{type(exc).__name__}: {exc}"
    return value, None if math.isfinite(value) else f"the score is {value}"


class LiveRun:
    """A fused run in training that can stop at any epoch, lose models, and go on.

    Training to epoch E in one call or in several gives the same models. Models can be
    taken out (``state``) and a new run built from the states of models of several runs
    (the engine's ``resume``): each goes on exactly as it would have alone, since models
    never mix and every model of a run shares the batch order of its seed.

    Parameters
    ----------
    models : parsearch.engine.FusedModels
        The models, laid out by their engine.
    data : RunData
        What they are scored on (``score``, ``proba``, ``scoring``).
    outcomes : list of FusedOutcome
        Each model's outcome so far, in the models' layout order.
    epoch : int
        Epochs trained so far.
    """

    def __init__(self, models, data, outcomes, epoch=0):
        self.models, self.data = models, data
        self.outcomes = outcomes
        self.epoch = epoch
        self.diverged = np.array([o.diverged_epoch is not None for o in outcomes], dtype=bool)
        self.position = {original: p for p, original in enumerate(models.order)}
        if self.diverged.any():
            models.freeze(self.diverged)

    @classmethod
    def start(cls, models, data):
        """A run of models before their first epoch."""
        return cls(models, data, [FusedOutcome(layers=[]) for _ in range(models.n_models)])

    @classmethod
    def from_states(cls, models, data, states, epoch):
        """A run of models loaded from ``states`` (in the order given) after ``epoch``."""
        outcomes = [states[original].outcome for original in models.order]
        return cls(models, data, outcomes, epoch)

    @property
    def n_models(self):
        """Models in the run."""
        return self.models.n_models

    def train_to(self, epoch, on_epoch=None):
        """Train every model on until ``epoch`` epochs (from ``self.epoch``).

        ``on_epoch(epoch, n_models)`` is called after each epoch.
        """
        orders = batch_orders(self.models.n_samples, epoch, self.models.seed)
        with self.models.training():
            while self.epoch < epoch:
                self.epoch += 1
                self._epoch(orders[self.epoch - 1])
                if on_epoch is not None:
                    on_epoch(self.epoch, self.n_models)

    def _epoch(self, order):
        """One epoch of every model, then the divergence check and the scores."""
        models, data = self.models, self.data
        train_loss = models.train_epoch(order)
        newly, outputs = self._freeze_diverged(train_loss)
        self.diverged |= newly
        train_loss[self.diverged] = np.nan
        alone = getattr(models, "alone", None)  # an engine that could not fuse these models
        for k in np.flatnonzero(newly):
            self.outcomes[k].diverged_epoch = self.epoch
        for k, outcome in enumerate(self.outcomes):
            outcome.alone = alone
            outcome.train_loss.append(float(train_loss[k]))
            if data.scoring:
                value, error = (
                    (math.nan, None) if self.diverged[k] else score_outputs(data.score, outputs[k])
                )
                outcome.epoch_scores.append(value)
                outcome.score_error = error

    def _freeze_diverged(self, train_loss):
        """Find the models that diverged in this epoch and freeze them (zero them, stop them).

        A model has diverged when its epoch's training loss or (after the epoch's last
        updates) one of its parameters is NaN or infinite; those are frozen first. Then
        finite weights that are too large show as NaN or infinite outputs (for the
        validation set when scoring, else a training batch): those are frozen too.

        Returns
        -------
        newly : ndarray
            Bool (K,): the models found diverged now.
        outputs : ndarray or None
            The validation outputs of every model when scoring.
        """
        models, before = self.models, self.diverged
        blown = (~np.isfinite(train_loss) | models.nonfinite_models()) & ~before
        if blown.any():
            models.freeze(blown)
        outputs, finite = models.check_outputs(self.data.scoring, self.data.proba)
        overflowing = ~finite & ~before & ~blown
        if overflowing.any():
            models.freeze(overflowing)
        return blown | overflowing, outputs

    def outcome(self, k):
        """Model k's outcome so far (k in the order of the configurations given)."""
        return self.outcomes[self.position[k]]

    def state(self, k):
        """Model k (in the order of the configurations given) taken out, as host values."""
        p = self.position[k]
        layers, buffers = self.models.take(p)
        return ModelState(
            layers=layers,
            buffers=buffers,
            steps=self.models.steps,
            outcome=self.outcomes[p],
        )

    def results(self):
        """Every model's outcome with its final weights, in the order of the configurations."""
        result = [None] * self.n_models
        for position, original in enumerate(self.models.order):
            self.outcomes[position].layers = self.models.weights(position)
            result[original] = self.outcomes[position]
        return result
