"""Successive halving inside live fused runs, for any engine.

:class:`FusedRungs` holds every configuration of a halving search as live fused runs
(``parsearch.fused.live.LiveRun``): the chunks ``parsearch.plan.make_plan`` cuts, one run
per chunk and fold. ``train_to`` trains every run on to a rung's epochs; ``stop`` takes
the losers out (their rows: pruned, or diverged or failed), and ``repack`` rebuilds the
runs from the survivors' states (weights, optimizer buffers, outcomes so far), cut into
chunks again, so survivors of several chunks share fewer, fuller ones and the compute per
step falls. Nothing restarts: a survivor after E epochs has the weights it would have
after E epochs alone. It is one implementation of ``parsearch.halving.rungs.Rungs``.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import clone

from parsearch.engine import engine_of
from parsearch.fused.chunk import fold_splits, model_outcome, split_data
from parsearch.fused.live import ModelState
from parsearch.plan import make_plan
from parsearch.rows import Col, Status


class FusedRungs:
    """The live models of a halving search, in fused runs of their engine.

    Parameters
    ----------
    estimator : estimator
        The base estimator (it declares the engine).
    candidates : list of (int, dict)
        Grid positions and configurations still training.
    data : parsearch.jobs.Data
        The data, with the folds under cross-validation.
    metric : parsearch.metrics.Metric
        How to score.
    engine : {"auto", "per_config"}
        Fuse, or train each model alone.
    memory_budget : int, optional
        Bytes a fused chunk may use (see ``make_plan``).
    states : dict, optional
        Grid position -> list (per fold) of ``parsearch.fused.live.ModelState``: go on
        from a checkpoint taken after ``resource`` epochs.
    resource : int
        Epochs trained so far (with ``states``).
    """

    unit = "epoch"

    def __init__(
        self, estimator, candidates, data, metric, *, engine="auto", memory_budget=None,
        states=None, resource=0,
    ):  # fmt: skip
        self.base, self.data, self.metric = estimator, data, metric
        self.engine = engine_of(estimator)
        self.mode, self.memory_budget = engine, memory_budget
        self.params = dict(candidates)
        self.models = {i: clone(estimator).set_params(**p) for i, p in candidates}
        # The data as given: each run takes it in its own form (grids may mix float types).
        X = np.ascontiguousarray(data.X_train)
        self.classes = np.unique(np.asarray(data.y_train))
        self.n_features = X.shape[1]
        self.splits = fold_splits(data, X)  # each fold with its own training classes
        self._run_data = {}
        self.seconds = dict.fromkeys(self.params, 0.0)
        self.resource = resource
        self.runs = []  # (grid positions, [LiveRun per fold])
        self._build(states)

    # --- the runs -----------------------------------------------------------------------------

    def _data_of(self, fold, model):
        """The fold's data in the form ``model``'s runs take, built once for all its runs."""
        key = (fold, self.engine.data_key(model))
        if key not in self._run_data:
            self._run_data[key] = split_data(self.engine, self.splits[fold], model, self.metric)
        return self._run_data[key]

    def _build(self, states=None):
        """Cut the candidates into chunks and start (or rebuild) one run per chunk and fold."""
        jobs = make_plan(
            self.base,
            list(self.params.items()),
            engine=self.mode,
            n_features=self.n_features,
            n_classes=len(self.classes),
            memory_budget=self.memory_budget,
            n_folds=len(self.splits),
        )
        self.runs = []
        for job in jobs:
            models = [self.models[i] for i in job.indices]
            runs = []
            for fold in range(len(self.splits)):
                data = self._data_of(fold, models[0])
                if states is None:
                    runs.append(self.engine.start(data, models))
                else:
                    fold_states = [states[i][fold] for i in job.indices]
                    runs.append(self.engine.resume(data, models, fold_states, self.resource))
            self.runs.append((job.indices, runs))
        self._where = {
            i: (r, k) for r, (indices, _) in enumerate(self.runs) for k, i in enumerate(indices)
        }

    @property
    def live(self):
        """Grid positions of the configurations still training."""
        return list(self.params)

    @property
    def n_chunks(self):
        """Fused runs per fold."""
        return len(self.runs)

    def _per_fold(self, i):
        r, k = self._where[i]
        return [run.outcome(k) for run in self.runs[r][1]]

    # --- a rung -------------------------------------------------------------------------------

    def train_to(self, resource, on_units=None):
        """Train every live model on to ``resource`` epochs.

        ``on_units(n)`` is called with the model-epochs of each epoch of each run.
        """
        for indices, runs in self.runs:
            start = time.perf_counter()
            for run in runs:
                run.train_to(resource, None if on_units is None else lambda _, k: on_units(k))
            share = (time.perf_counter() - start) / len(indices)
            for i in indices:
                self.seconds[i] += share
        self.resource = resource

    def rung_scores(self):
        """``[(grid position, score)]`` after the last epoch: the mean over folds (NaN when
        it diverged or the metric failed in a fold)."""
        scores = []
        for i in self.params:
            per_fold = self._per_fold(i)
            if any(o.diverged_epoch is not None for o in per_fold):
                scores.append((i, float("nan")))
            else:
                scores.append((i, float(np.mean([o.epoch_scores[-1] for o in per_fold]))))
        return scores

    def stop(self, indices, pruned=True):
        """Take models out: their rows (``pruned`` for an ok one), no fitted model.

        Call ``repack`` after the last ``stop`` of a rung.
        """
        outcomes = []
        for i in sorted(indices):
            outcome = self._outcome(i, self._per_fold(i))
            if pruned and outcome.row[Col.STATUS] == Status.OK:
                outcome.row[Col.STATUS] = Status.PRUNED
            outcomes.append(outcome)
            del self.params[i]
        return outcomes

    def _outcome(self, i, per_fold, fitted_as=None):
        """Model i's row (with its epochs trained) from its outcome in every fold."""
        outcome = model_outcome(
            i, self.params[i], self.models[i], per_fold, self.data, self.metric,
            self.seconds[i], fitted_as,
        )  # fmt: skip
        outcome.row[Col.EPOCHS_TRAINED] = self._epochs_trained(per_fold)
        return outcome

    def _epochs_trained(self, per_fold):
        """Epochs a model trained: up to the epoch it diverged in, if it did."""
        diverged = [o.diverged_epoch for o in per_fold if o.diverged_epoch is not None]
        return min(diverged) if diverged else self.resource

    def states(self, indices=None):
        """Grid position -> list (per fold) of ``ModelState``, as host arrays."""
        out = {}
        for i in self.params if indices is None else indices:
            r, k = self._where[i]
            out[i] = [run.state(k) for run in self.runs[r][1]]
        return out

    @staticmethod
    def encode_state(state, name, arrays):
        """A model's states (one per fold) as plain values, their arrays put in ``arrays``."""
        return {"folds": [s.to_record(f"{name}/{k}", arrays) for k, s in enumerate(state)]}

    @staticmethod
    def decode_state(record, name, arrays):
        """The states that :meth:`encode_state` wrote under ``name``."""
        return [
            ModelState.from_record(r, f"{name}/{k}", arrays) for k, r in enumerate(record["folds"])
        ]

    def repack(self):
        """Rebuild the runs from the live models' states, cut into chunks again."""
        self._build(self.states())

    def finish(self):
        """The rows of every live model after its last epoch, with the fitted models."""
        outcomes = []
        fitted_as = (self.engine, self.classes, self.n_features)
        for indices, runs in self.runs:
            results = [run.results() for run in runs]
            for k, i in enumerate(indices):
                outcomes.append(self._outcome(i, [res[k] for res in results], fitted_as))
        self.params = {}
        return outcomes
