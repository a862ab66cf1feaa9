"""The engine seam: what a fused engine gives a search, and how an estimator declares one.

A *fused engine* trains many configurations of one estimator at once, in one run, each
exactly as it would train alone. ``parsearch.nets`` holds the first engine (the
hand-written trainer of parsearch's networks); the search never asks which estimator it
has, only for its engine:

- :func:`engine_of` finds it: an estimator declares its engine with a method
  ``__parsearch_engine__()`` that returns an :class:`Engine` (as scikit-learn estimators
  declare their tags with ``__sklearn_tags__``). Estimators without one are fitted one
  configuration per task.
- :class:`Engine` is what the planner, the executors, halving, the identity and
  ``meta.json`` ask of it: which configurations share a run, the bytes of one model,
  the devices and their budgets, starting a live run, rebuilding one from model states,
  and the fitted estimator of a trained model.
- :class:`FusedModels` is the engine's side of a live run: K models laid out to train at
  once. ``parsearch.fused.live.LiveRun`` runs the lifecycle every engine shares on top of
  it (epochs in a batch order fixed by the seed, divergence freezing, per-epoch scores,
  models taken out as states).

This module imports nothing but the standard library: any layer may import it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol, runtime_checkable

#: The method by which an estimator declares its fused engine.
ENGINE_METHOD = "__parsearch_engine__"


@runtime_checkable
class FusedModels(Protocol):
    """K models of one engine laid out to train at once (the engine's side of a live run).

    Models have a *layout order* of the engine's choosing; ``order[p]`` is the position,
    among the configurations given to the run, of the model at layout position ``p``.
    Every array below is in layout order.

    Attributes
    ----------
    n_models : int
        K.
    order : list of int
        Layout position -> position among the configurations given.
    n_samples : int
        Training samples (the batch order of each epoch permutes them).
    seed : int
        Seed of the batch order (shared by every model of the run).
    steps : int
        Optimizer steps taken so far (the same for every model).

    Notes
    -----
    An engine that cannot train its models fused after all (a module ``vmap`` refuses)
    may set an attribute ``alone`` to the reason while it trains them one at a time: it
    reaches each row's outcome and ``meta.json``'s ``execution.trained_alone``.
    """

    n_models: int
    order: list
    n_samples: int
    seed: int
    steps: int

    def training(self):
        """A context manager held while epochs run (a memory setting, say)."""

    def train_epoch(self, order):
        """Train every model one epoch on the samples in ``order``.

        Returns
        -------
        ndarray of shape (K,)
            Each model's mean training loss of the epoch (one host transfer).
        """

    def nonfinite_models(self):
        """Which models hold a NaN or infinite parameter: bool ndarray (K,)."""

    def check_outputs(self, scoring, proba):
        """Every model's outputs for the validation set (``scoring``) or a training batch.

        Returns
        -------
        outputs : ndarray or None
            With ``scoring``: (K, n_val, n_classes) probabilities when ``proba``, else
            (K, n_val) class indices; None without ``scoring``.
        finite : ndarray of shape (K,)
            Whether each model's outputs were all finite.
        """

    def freeze(self, models):
        """Zero the parameters, optimizer state and learning rate of ``models`` (bool (K,))."""

    def weights(self, p):
        """Model ``p``'s weights: a list of tuples of host arrays (what ``Engine.fitted``
        turns into a model, and checkpoints store)."""

    def take(self, p):
        """Model ``p`` taken out: ``(weights, buffers)`` as host arrays.

        ``weights`` is a list of tuples of arrays (as :meth:`weights` gives it),
        ``buffers`` its optimizer state, name -> arrays laid out as ``weights``.
        """


@runtime_checkable
class Engine(Protocol):
    """What a fused engine gives a search.

    ``params`` below are an estimator's full parameters (its ``get_params(deep=False)``
    updated with a configuration); ``models`` are configured, unfitted clones of it.

    Attributes
    ----------
    name : str
        The engine's name, for ``meta.json``.
    resource : str
        The parameter that is halving's resource: the epochs the models train for.
    """

    name: str
    resource: str

    def group_key(self, params) -> Hashable:
        """Configurations with equal keys may train in one run (they differ only in what
        can be per model)."""

    def model_bytes(self, params, n_features, n_classes) -> int:
        """Memory one model takes in a run, in bytes (for the chunk budget)."""

    def device(self, params) -> str:
        """The device the configuration asks for, as given (``"auto"``, ``"cpu"``, ...)."""

    def device_budget(self, device):
        """``(kind, bytes)``: the device ``device`` resolves to here (``"cpu"``,
        ``"cuda"``), and the bytes one run may use there. Raises ValueError when this
        machine cannot give it."""

    def epochs(self, params) -> int:
        """Epochs the configuration trains for (checked: the engine's own message)."""

    def prepare(self, base, grid, device, on_workers=False):
        """Apply ``fit_grid``'s ``device`` to ``base`` and check every configuration.

        Returns
        -------
        dict
            ``meta.json``'s description of where the models train: ``device`` and
            ``matmul`` (str).
        """

    def data_key(self, model) -> Hashable:
        """Runs whose models have equal keys share one :meth:`run_data` of a fold."""

    def run_data(self, split, model, score, proba):
        """One fold's data in the form the engine trains on (its device, its float type).

        Parameters
        ----------
        split : parsearch.fused.chunk.Split
            The fold's training and validation arrays.
        model : estimator
            A model of the run (its device and float type).
        score : callable or None
            ``score(outputs)`` -> float, one model's validation score.
        proba : bool
            Whether ``score`` takes probabilities or class indices.
        """

    def start(self, data, models):
        """A ``parsearch.fused.live.LiveRun`` of ``models``, before the first epoch."""

    def resume(self, data, models, states, epoch):
        """A ``LiveRun`` rebuilt from ``states`` (``parsearch.fused.live.ModelState``,
        one per model) taken out of runs after ``epoch`` epochs."""

    def fitted(self, model, classes, n_features, outcome):
        """``model`` fitted: the weights and curves of ``outcome``
        (``parsearch.fused.live.FusedOutcome``)."""


_ENGINE_METHODS = tuple(
    name for name, value in vars(Engine).items() if callable(value) and not name.startswith("_")
)


def engine_of(estimator):
    """The fused engine an estimator declares, or None.

    Parameters
    ----------
    estimator : estimator
        Any estimator (or estimator class).

    Returns
    -------
    Engine or None
        What ``estimator.__parsearch_engine__()`` returns; None for an estimator that
        declares none (it is fitted one configuration per task).

    Raises
    ------
    TypeError
        When the declared engine lacks what :class:`Engine` asks for.

    Notes
    -----
    The method is looked up on the estimator's class, as Python looks up special
    methods: a wrapper that forwards attribute lookups to an estimator it holds
    (``__getattr__``), or a mock, does not take on that estimator's engine.
    """
    if isinstance(estimator, type):
        return None
    declare = getattr(type(estimator), ENGINE_METHOD, None)
    if declare is None:
        return None
    engine = declare(estimator)
    if not isinstance(engine, Engine):
        missing = [
            name
            for name in (*Engine.__annotations__, *_ENGINE_METHODS)
            if not hasattr(engine, name)
        ]
        raise TypeError(
            f"{type(estimator).__name__}.{ENGINE_METHOD}() returned {type(engine).__name__}, "
            f"which is no parsearch.engine.Engine: it lacks {', '.join(missing)}."
        )
    return engine
