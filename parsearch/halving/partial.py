"""Successive halving of scikit-learn estimators that learn by ``partial_fit``.

The resource is passes of ``partial_fit`` over the training data, shuffled anew for every
pass: pass ``p`` takes the rows in the order ``numpy.random.default_rng([seed, p])``
gives, so a model after P passes is the same whether it got them in one rung or in
several, in this process or another. Each configuration's models (one per fold) are
carried from rung to rung; the passes of a rung run as one joblib task per configuration,
under the caller's ``n_jobs`` and backend, as the configurations of a grid do.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.parallel import Parallel, delayed

from parsearch.checks import take_rows
from parsearch.execute.tasks import configured
from parsearch.jobs import Outcome
from parsearch.rows import Col, Status, failed_row, new_row


@dataclass
class PartialState:
    """One configuration in a halving search of ``partial_fit`` passes.

    Attributes
    ----------
    models : list of estimator
        Its model in each fold (one for a holdout set), after ``passes`` passes.
    passes : int
        Passes of ``partial_fit`` each model has had.
    scores : list of float
        Each model's validation score after the last pass.
    seconds : float
        Time spent fitting and scoring it so far.
    error, traceback : str or None
        Why it failed, if it did.
    """

    models: list = field(default_factory=list)
    passes: int = 0
    scores: list = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    traceback: str | None = None


def partial_passes(model, X, y, start, stop, seed, classes=None):
    """Give ``model`` passes ``start`` to ``stop - 1`` of ``partial_fit`` over ``(X, y)``.

    Parameters
    ----------
    model : estimator
        Has ``partial_fit``; changed in place and returned.
    X, y : array-like
        Training data.
    start, stop : int
        The passes, counted from 0 for the model's first.
    seed : int
        Fixes every pass's order (see the module's docstring).
    classes : ndarray, optional
        Every class (classifiers need them on the first call).

    Returns
    -------
    estimator
    """
    n = len(y)
    kwargs = {} if classes is None else {"classes": classes}
    y = np.asarray(y)
    for p in range(start, stop):
        order = np.random.default_rng([seed, p]).permutation(n)
        model.partial_fit(take_rows(X, order), y[order], **kwargs)
    return model


def advance(estimator, params, state, data, metric, stop, seed):
    """Train one configuration on to ``stop`` passes (every fold) and score it.

    A top-level function, so that a joblib worker can run it.

    Returns
    -------
    PartialState
        The state after ``stop`` passes, or with ``error`` set.
    """
    start_time = time.perf_counter()
    state = state or PartialState()
    classes = np.unique(data.y_train) if is_classifier(estimator) else None
    try:
        if not state.models:
            n_models = 1 if data.folds is None else len(data.folds)
            state.models = [configured(estimator, params) for _ in range(n_models)]
        if data.folds is None:
            splits = [(data.X_train, data.y_train, data.X_val, data.y_val)]
        else:
            y = np.asarray(data.y_train)
            splits = [
                (take_rows(data.X_train, tr), y[tr], take_rows(data.X_train, te), y[te])
                for tr, te in data.folds
            ]
        scores = []
        for model, (X_fit, y_fit, X_score, y_score) in zip(state.models, splits):
            partial_passes(model, X_fit, y_fit, state.passes, stop, seed, classes)
            scores.append(float(metric.score_model(model, X_score, y_score)))
        state.passes, state.scores = stop, scores
        if not all(math.isfinite(s) for s in scores):
            raise FloatingPointError(f"the {metric.name} score is {scores}")
    except Exception as exc:
        state.error = f"{type(exc).__name__}: {exc}"
        state.traceback = traceback.format_exc()
    state.seconds += time.perf_counter() - start_time
    return state


class PartialRungs:
    """The live configurations of a halving search of a ``partial_fit`` estimator.

    Parameters
    ----------
    estimator : estimator
        The base estimator.
    candidates : list of (int, dict)
        Grid positions and configurations still training.
    data : parsearch.jobs.Data
        The data.
    metric : parsearch.metrics.Metric
        How to score.
    seed : int
        Fixes the order of every pass.
    n_jobs, backend : optional
        joblib's, for the tasks of a rung.
    client : distributed.Client, optional
        Run the tasks of every rung on this Dask cluster instead (the data is sent once).
    states : dict, optional
        Grid position -> PartialState: go on from a checkpoint taken after ``resource``
        passes.
    resource : int
        Passes so far (with ``states``).
    """

    unit = "pass"

    @staticmethod
    def encode_state(state, name, arrays):
        """What a checkpoint keeps of a survivor: nothing but that it survived.

        Its fitted models are estimators, not arrays, and a checkpoint holds no pickle:
        on resume it trains again from its first pass, the same passes in the same order
        (``partial_passes``), so it reaches the same model.
        """
        return {"passes": state.passes}

    @staticmethod
    def decode_state(record, name, arrays):
        """A survivor from a checkpoint: to train again from its first pass (None)."""
        return None

    def __init__(
        self, estimator, candidates, data, metric, *, seed=0, n_jobs=None, backend=None,
        client=None, states=None, resource=0,
    ):  # fmt: skip
        self.base, self.data, self.metric, self.seed = estimator, data, metric, seed
        self.n_jobs, self.backend, self.client = n_jobs, backend, client
        self._data_future = None
        self.params = dict(candidates)
        self.state = {i: (states or {}).get(i) or PartialState() for i in self.params}
        self.resource = resource
        self.n_folds = 1 if data.folds is None else len(data.folds)

    @property
    def live(self):
        """Grid positions of the configurations still training."""
        return list(self.params)

    @property
    def n_chunks(self):
        """Tasks per rung (one per configuration)."""
        return len(self.params)

    def train_to(self, resource, on_units=None):
        """Train every live configuration on to ``resource`` passes.

        ``on_units(n)`` is called with the passes (times folds) of each finished task.
        """
        live = [i for i in self.params if self.state[i].error is None]
        units = {i: (resource - self.state[i].passes) * self.n_folds for i in live}
        run = self._on_dask if self.client is not None else self._on_joblib
        for i, state in run(live, resource):
            self.state[i] = state
            if on_units is not None:
                on_units(units[i])
        self.resource = resource

    def _on_joblib(self, live, resource):
        """``(grid position, state)`` of every task of a rung, run through joblib."""
        tasks = (
            delayed(advance)(
                self.base, self.params[i], self.state[i], self.data, self.metric, resource,
                self.seed,
            )
            for i in live
        )  # fmt: skip
        parallel = Parallel(n_jobs=self.n_jobs, backend=self.backend, return_as="generator")
        yield from zip(live, parallel(tasks))

    def _on_dask(self, live, resource):
        """``(grid position, state)`` of every task of a rung, as the Dask cluster ends them.

        A task whose workers all died (``KilledWorker``) fails its configuration alone.
        """
        from parsearch.execute.dask import _import_distributed, submit_data

        distributed = _import_distributed()
        if self._data_future is None:
            self._data_future = submit_data(self.client, self.data)
        futures = {
            self.client.submit(
                advance, self.base, self.params[i], self.state[i], self._data_future,
                self.metric, resource, self.seed, pure=False,
            ): i
            for i in live
        }  # fmt: skip
        for future in distributed.as_completed(list(futures), loop=self.client.loop):
            i = futures[future]
            try:
                state = future.result()
            except distributed.KilledWorker as exc:
                state = self.state[i]
                state.error = f"the Dask workers running it died ({exc})"
            future.release()
            yield i, state

    def rung_scores(self):
        """``[(grid position, score)]``: the mean over folds, NaN for a failed one."""
        return [
            (i, float("nan") if s.error else float(np.mean(s.scores)))
            for i, s in ((i, self.state[i]) for i in self.params)
        ]

    def stop(self, indices, pruned=True):
        """Take configurations out: their rows (``pruned`` for an ok one)."""
        outcomes = [self._outcome(i, final=False, pruned=pruned) for i in sorted(indices)]
        for i in indices:
            del self.params[i]
            del self.state[i]
        return outcomes

    def repack(self):
        """Nothing to repack: each configuration is its own task."""

    def states(self, indices=None):
        """Grid position -> PartialState (its models after the last rung)."""
        return {i: self.state[i] for i in (self.params if indices is None else indices)}

    def finish(self):
        """The rows of every live configuration, with the fitted model on a holdout set."""
        outcomes = [self._outcome(i, final=True) for i in self.params]
        self.params, self.state = {}, {}
        return outcomes

    def _outcome(self, i, final, pruned=False):
        state, params = self.state[i], self.params[i]
        if state.error:
            row = failed_row(params, state.error, state.seconds)
            row[Col.EPOCHS_TRAINED] = state.passes
            return Outcome(index=i, row=row, traceback=state.traceback)
        cv = self.data.folds is not None
        row = {
            **new_row(params),
            Col.SCORE: float(np.mean(state.scores)),
            Col.STATUS: Status.PRUNED if pruned else Status.OK,
            Col.FIT_SECONDS: state.seconds,
            Col.SCORE_STD: float(np.std(state.scores)) if cv else None,
            Col.FOLD_SCORES: list(state.scores) if cv else None,
            Col.EPOCHS_TRAINED: state.passes,
        }
        model = state.models[0] if final and not cv else None
        return Outcome(index=i, row=row, model=model)
