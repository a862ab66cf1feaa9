"""Successive halving of networks inside the live fused models.

:class:`NetworkRungs` holds every configuration of a halving search as live fused runs
(``parsearch.nets.fused.LiveRun``): the chunks ``parsearch.plan.make_plan`` cuts, one run
per chunk and fold. ``train_to`` trains every run on to a rung's epochs; ``stop`` takes
the losers out (their rows: pruned, or diverged or failed), and ``repack`` rebuilds the
runs from the survivors' states (weights, optimizer buffers, outcomes so far), cut into
chunks again, so survivors of several chunks share fewer, fuller ones and the compute per
step falls. Nothing restarts: a survivor after E epochs has the weights it would have
after E epochs alone.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import clone

from parsearch.metrics import PROBA
from parsearch.nets import fused
from parsearch.nets.chunk import _output_scorer, fold_splits, model_outcome
from parsearch.plan import make_plan
from parsearch.rows import Col, Status


class NetworkRungs:
    """The live networks of a halving search, in fused runs.

    Parameters
    ----------
    estimator : MLPClassifier
        The base estimator.
    candidates : list of (int, dict)
        Grid positions and configurations still training.
    data : parsearch.execute.tasks.Data
        The data, with the folds under cross-validation.
    metric : parsearch.metrics.Metric
        How to score.
    engine : {"auto", "per_config"}
        Fuse, or train each network alone.
    memory_budget : int, optional
        Bytes a fused chunk may use (see ``make_plan``).
    states : dict, optional
        Grid position -> list (per fold) of ``fused.ModelState``: go on from a checkpoint
        taken after ``resource`` epochs.
    resource : int
        Epochs trained so far (with ``states``).
    """

    def __init__(
        self, estimator, candidates, data, metric, *, engine="auto", memory_budget=None,
        states=None, resource=0,
    ):  # fmt: skip
        self.base, self.data, self.metric = estimator, data, metric
        self.engine, self.memory_budget = engine, memory_budget
        self.params = dict(candidates)
        self.models = {i: clone(estimator).set_params(**p) for i, p in candidates}
        # The data as given: each run takes it in its own float type (grids may mix them).
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

    def _data_of(self, fold, spec):
        """The fold's data on ``spec``'s device, built once for all its runs."""
        key = (fold, str(spec.device), spec.dtype)
        if key not in self._run_data:
            split = self.splits[fold]
            self._run_data[key] = fused.RunData.of(
                split.X_fit,
                split.y_fit,
                len(split.classes),
                spec,
                X_val=np.ascontiguousarray(split.X_score),
                score=_output_scorer(self.metric, split.y_score, split.classes),
                proba=self.metric.response == PROBA,
            )
        return self._run_data[key]

    def _build(self, states=None):
        """Cut the candidates into chunks and start (or rebuild) one run per chunk and fold."""
        jobs = make_plan(
            self.base,
            list(self.params.items()),
            engine=self.engine,
            n_features=self.n_features,
            n_classes=len(self.classes),
            memory_budget=self.memory_budget,
            n_folds=len(self.splits),
        )
        self.runs = []
        for job in jobs:
            spec = self.models[job.indices[0]]._train_spec()
            runs = []
            for fold in range(len(self.splits)):
                data = self._data_of(fold, spec)
                if states is None:
                    hypers = [self.models[i]._hyper() for i in job.indices]
                    runs.append(fused.LiveRun.start(data, hypers, spec))
                else:
                    fold_states = [states[i][fold] for i in job.indices]
                    runs.append(fused.LiveRun.from_states(data, fold_states, spec, self.resource))
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
        """Train every live network on to ``resource`` epochs.

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
        """Take networks out: their rows (``pruned`` for an ok one), no fitted model.

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
        """Network i's row (with its epochs trained) from its outcome in every fold."""
        outcome = model_outcome(
            i, self.params[i], self.models[i], per_fold, self.data, self.metric,
            self.seconds[i], fitted_as,
        )  # fmt: skip
        outcome.row[Col.EPOCHS_TRAINED] = self._epochs_trained(per_fold)
        return outcome

    def _epochs_trained(self, per_fold):
        """Epochs a network trained: up to the epoch it diverged in, if it did."""
        diverged = [o.diverged_epoch for o in per_fold if o.diverged_epoch is not None]
        return min(diverged) if diverged else self.resource

    def states(self, indices=None):
        """Grid position -> list (per fold) of ``fused.ModelState``, as host arrays."""
        out = {}
        for i in self.params if indices is None else indices:
            r, k = self._where[i]
            out[i] = [run.state(k) for run in self.runs[r][1]]
        return out

    def repack(self):
        """Rebuild the runs from the live networks' states, cut into chunks again."""
        self._build(self.states())

    def finish(self):
        """The rows of every live network after its last epoch, with the fitted models."""
        outcomes = []
        fitted_as = (self.classes, self.n_features)
        for indices, runs in self.runs:
            results = [run.results() for run in runs]
            for k, i in enumerate(indices):
                outcomes.append(self._outcome(i, [res[k] for res in results], fitted_as))
        self.params = {}
        return outcomes
