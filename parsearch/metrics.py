"""Resolve a metric name or callable into something that scores predictions.

A metric scores either predicted labels (``accuracy``) or the full predicted
probability matrix (``log_loss``, ``roc_auc_ovr``), always with the classes seen in
training, so that 10-class probability metrics are right even when the validation set
lacks a class. Its direction (is greater better?) is known or inferred.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn import metrics as skm
from sklearn.utils import check_consistent_length, column_or_1d
from sklearn.utils.multiclass import type_of_target, unique_labels

from parsearch.rows import Direction, metric_label

LABELS = "labels"
PROBA = "proba"
VALUES = "values"  # regression predictions
SCORER = "scorer"  # a scikit-learn scorer object, called on the fitted model


@dataclass(frozen=True)
class Metric:
    """A metric with its direction.

    Attributes
    ----------
    name : str
        Name shown in the table, the CSV and the plots.
    func : callable
        ``func(y_true, y_out, **kwargs)`` where ``y_out`` is what ``response`` says.
    response : {"labels", "proba", "values"}
        What the metric needs from the model.
    greater_is_better : bool
        Direction of the metric.
    kwargs : dict
        Extra keyword arguments for ``func``.
    pass_labels : bool
        Whether ``func`` takes ``labels=`` (the training classes).
    methods : tuple of str
        For ``response="proba"``: the model methods that give the scores, the first the
        model has is used (scikit-learn's scorer of the same name asks for the same ones:
        ``decision_function`` before ``predict_proba`` for ``roc_auc``,
        ``average_precision`` and top-k accuracy).
    sign : {1, -1}
        -1 for a ``neg_*`` name: the value is the negated metric, as scikit-learn's
        scorers give it (greater is better).
    registered : str or None
        The registry name the metric comes from (None for a callable or a scorer).
    primary : str or None
        For a scorer that may return several named scores (a dict: GridSearchCV's
        multi-metric scoring): the name of the one the search ranks by (``""``: the
        first returned); the others are kept too (the column ``named_scores``).
    """

    name: str
    func: object
    response: str
    greater_is_better: bool
    kwargs: dict = field(default_factory=dict)
    pass_labels: bool = False
    methods: tuple = ("predict_proba",)
    sign: int = 1
    registered: str | None = None
    primary: str | None = None

    @property
    def direction(self):
        """``Direction.HIGHER`` or ``Direction.LOWER`` (``"higher_is_better"``, ...)."""
        return Direction.of(self.greater_is_better)

    @property
    def label(self):
        """The name with its direction, e.g. ``"log_loss (lower is better)"``."""
        return metric_label(self.name, self.greater_is_better)

    def score_outputs(self, y_true, y_out, classes=None):
        """Score model outputs that match ``response``.

        Parameters
        ----------
        y_true : array-like
            True targets.
        y_out : ndarray
            Predicted labels, the probability matrix (columns in ``classes`` order) or
            regression values.
        classes : ndarray, optional
            The classes seen in training.

        Returns
        -------
        float

        Raises
        ------
        ValueError
            For a named metric on predicted labels, when the predictions are not labels
            of the kind ``y_true`` holds, as scikit-learn's classification metrics refuse
            them (see :func:`check_label_outputs`); a callable metric gets the predictions
            as the model gives them, as from a scikit-learn scorer.
        """
        if self.response == LABELS and self.registered is not None:
            y_true, y_out = check_label_outputs(y_true, y_out, self.name)
        kwargs = dict(self.kwargs)
        if self.pass_labels and classes is not None:
            kwargs["labels"] = classes
        if self.response == PROBA and y_out.ndim == 2 and y_out.shape[1] == 2:
            # Binary: these take the score of the greater class (column 1 of the sorted
            # classes), as scikit-learn's scorers pass it.
            if self.func is skm.roc_auc_score:
                y_out = y_out[:, 1]
                kwargs.pop("labels", None)
                kwargs.pop("multi_class", None)
            elif self.func is skm.top_k_accuracy_score:
                y_out = y_out[:, 1]
        return self.sign * float(self.func(y_true, y_out, **kwargs))

    def score_model(self, model, X, y, sample_weight=None):
        """Score a fitted model on ``(X, y)``.

        Parameters
        ----------
        model : estimator
            A fitted estimator.
        X, y : array-like
            Data to score on.
        sample_weight : array-like, optional
            The samples' weights, given to a scorer object, the estimator's ``score`` or a
            metric of ``(estimator, X, y)`` that takes them (as GridSearchCV passes
            ``fit``'s ``sample_weight`` to its scorer); named metrics and
            ``metric(y_true, y_pred)`` score unweighted.

        Returns
        -------
        float, or dict of str to float
            A dict where the scorer returns several named scores (see ``primary``).
        """
        if self.response == SCORER:  # make_scorer(...): its own response method and sign
            if sample_weight is not None and takes_sample_weight(self.func):
                value = self.func(model, X, y, sample_weight=sample_weight)
            else:
                value = self.func(model, X, y)
            if isinstance(value, dict) and self.primary is not None:
                return {str(k): float(v) for k, v in value.items()}
            return float(value)
        if self.response == PROBA:
            out = _scores(model, X, self.methods, self.name)
        else:
            out = np.asarray(model.predict(X))
        return self.score_outputs(y, out, classes=getattr(model, "classes_", None))


def _scores(model, X, methods, name):
    """The model's scores for ``X`` from the first of ``methods`` it has, as (n, classes).

    A binary ``decision_function`` (one score, for the second class) becomes the two
    columns ``[-d, d]``: every metric here then reads the class it scores from its column,
    as from probabilities.
    """
    for method in methods:
        if hasattr(model, method):
            out = np.asarray(getattr(model, method)(X))
            if method == "decision_function" and out.ndim == 1:
                out = np.column_stack([-out, out])
            return out
    raise ValueError(
        f"Metric {name!r} needs {' or '.join(methods)}, which {type(model).__name__} does "
        "not have (for SGDClassifier use loss='log_loss')."
    )


def check_label_outputs(y_true, y_pred, name="metric"):
    """True and predicted labels as scikit-learn's classification metrics take them.

    Column vectors of shape (n, 1) become 1-D (as ``sklearn.metrics`` squeezes them), so
    no metric compares (n,) with (n, 1) element by element and broadcasts to (n, n); and
    what ``sklearn.metrics.accuracy_score`` refuses is refused: other lengths, other
    shapes, continuous predictions, a mix of string and number labels. Labels of one
    integer (or one string) kind on both sides need no more checks; any others are
    checked with ``type_of_target`` and ``unique_labels``, as scikit-learn checks them.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, 1)
        True labels.
    y_pred : array-like of shape (n_samples,) or (n_samples, 1)
        Predicted labels.
    name : str
        The metric's name, for the message.

    Returns
    -------
    y_true, y_pred : ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        Naming the metric and what scikit-learn refuses in the predictions.
    """
    try:
        y_true = column_or_1d(y_true, input_name="y_true")
        y_pred = column_or_1d(y_pred, input_name="y_pred")
        check_consistent_length(y_true, y_pred)
        if not _same_plain_kind(y_true.dtype, y_pred.dtype):
            kinds = {type_of_target(y_true, "y_true"), type_of_target(y_pred, "y_pred")}
            if not kinds <= {"binary", "multiclass"}:
                raise ValueError(
                    "classification metrics can't handle a mix of "
                    f"{type_of_target(y_true)} (y_true) and {type_of_target(y_pred)} (y_pred) "
                    "targets"
                )
            unique_labels(y_true, y_pred)  # refuses a mix of string and number labels
    except ValueError as err:
        raise ValueError(
            f"Metric {name!r} cannot score these predictions of {np.asarray(y_pred).dtype} "
            f"labels against {np.asarray(y_true).dtype} ones: {str(err).rstrip('.')}. The "
            "estimator's predict must return the labels it was fitted on, one per sample, as "
            "scikit-learn's scorers take them."
        ) from err
    return y_true, y_pred


def _same_plain_kind(true_dtype, pred_dtype):
    """Whether both label arrays are integers (or booleans), or both Unicode strings.

    Such labels are always binary or multiclass to scikit-learn, and of one kind.
    """
    integer = "biu"
    return (true_dtype.kind in integer and pred_dtype.kind in integer) or (
        true_dtype.kind == pred_dtype.kind == "U"
    )


def roc_auc_ovr(y_true, proba, labels=None, average="macro"):
    """One-vs-rest ROC AUC over the classes present in ``y_true``.

    sklearn's ``roc_auc_score(multi_class="ovr")`` is undefined when the validation
    set lacks a class seen in training; one-vs-rest AUC is still defined for every
    class that is there, and this averages those (macro, or weighted by prevalence).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``labels``.
    labels : array-like, optional
        The classes of the columns (default: the sorted labels of ``y_true``).
    average : {"macro", "weighted"}
        How to average the per-class AUCs.

    Returns
    -------
    float
    """
    aucs, prevalence = _one_vs_rest(skm.roc_auc_score, y_true, proba, labels)
    return float(np.average(aucs, weights=prevalence if average == "weighted" else None))


def _one_vs_rest(score, y_true, proba, labels=None):
    """``score(y_true == c, proba[:, j])`` and the prevalence of each class c present."""
    y_true = np.asarray(y_true)
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    present = [j for j, c in enumerate(labels) if np.any(y_true == c)]
    scores = [score(y_true == labels[j], proba[:, j]) for j in present]
    return scores, [np.mean(y_true == labels[j]) for j in present]


def average_precision(y_true, proba, labels=None):
    """Average precision, binary or one-vs-rest macro over the classes present.

    Binary: the precision-recall summary of the positive class, which is 1 where 1 is a
    class (scikit-learn's ``pos_label=1``, as its ``"average_precision"`` scorer does) and
    otherwise the greater class (where scikit-learn would refuse). Multiclass: the mean of
    each present class's one-vs-rest average precision, as ``average_precision_score``
    computes it when every class is present; a class seen in training but absent from
    ``y_true`` has no positives and is left out.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities, columns in the order of ``labels``.
    labels : array-like, optional
        The classes of the columns (default: the sorted labels of ``y_true``).

    Returns
    -------
    float
    """
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    if len(labels) == 2:
        j = int(np.flatnonzero(labels == 1)[0]) if np.any(labels == 1) else 1
        y_true = np.asarray(y_true)
        return float(skm.average_precision_score(y_true == labels[j], proba[:, j]))
    scores, _ = _one_vs_rest(skm.average_precision_score, y_true, proba, labels)
    return float(np.mean(scores))


def accuracy(y_true, y_pred):
    """Fraction of labels predicted right: ``accuracy_score`` without its input checks.

    The same number as ``sklearn.metrics.accuracy_score(y_true, y_pred)`` for 1-D label
    arrays of one kind, without the ~0.4 ms of validation per call that adds up when every
    model of a fused grid is scored after every epoch. ``Metric.score_outputs`` checks the
    labels first (:func:`check_label_outputs`: cheap for integer or string labels on both
    sides), so a column vector or labels of another kind never reach this comparison.
    """
    return float(np.average(np.asarray(y_true) == np.asarray(y_pred)))


def error_rate(y_true, y_pred):
    """Fraction of labels predicted wrong (``zero_one_loss``)."""
    return 1.0 - accuracy(y_true, y_pred)


_HIGHER, _LOWER = True, False
_DECISION_FIRST = ("decision_function", "predict_proba")

#: Label metrics scikit-learn names with and without an average: ``f1`` (two classes, of
#: the positive class 1) and ``f1_macro``, ``f1_micro``, ``f1_weighted``; the same for each.
_AVERAGED = (
    ("f1", skm.f1_score),
    ("precision", skm.precision_score),
    ("recall", skm.recall_score),
    ("jaccard", skm.jaccard_score),
)


def _averaged(family, func):
    """A family's metrics: ``<family>_macro``, ``_micro``, ``_weighted``, then ``<family>``."""
    averages = [
        Metric(f"{family}_{average}", func, LABELS, _HIGHER, {"average": average})
        for average in ("macro", "micro", "weighted")
    ]
    return [*averages, Metric(family, func, LABELS, _HIGHER)]


_REGISTRY = {
    metric.name: metric
    for metric in (
        Metric("accuracy", accuracy, LABELS, _HIGHER),
        Metric("balanced_accuracy", skm.balanced_accuracy_score, LABELS, _HIGHER),
        Metric("error_rate", error_rate, LABELS, _LOWER),
        Metric("zero_one_loss", skm.zero_one_loss, LABELS, _LOWER),
        *(m for family in _AVERAGED for m in _averaged(*family)),
        Metric("matthews_corrcoef", skm.matthews_corrcoef, LABELS, _HIGHER),
        Metric("cohen_kappa", skm.cohen_kappa_score, LABELS, _HIGHER),
        Metric("log_loss", skm.log_loss, PROBA, _LOWER, pass_labels=True),
        Metric("roc_auc_ovr", roc_auc_ovr, PROBA, _HIGHER, pass_labels=True),
        Metric("roc_auc_ovo", skm.roc_auc_score, PROBA, _HIGHER, {"multi_class": "ovo"}, True),
        Metric("roc_auc_ovr_weighted", roc_auc_ovr, PROBA, _HIGHER, {"average": "weighted"}, True),
        Metric("roc_auc", skm.roc_auc_score, PROBA, _HIGHER, methods=_DECISION_FIRST),
        Metric("average_precision", average_precision, PROBA, _HIGHER, {}, True, _DECISION_FIRST),
        Metric(
            "top_2_accuracy",
            skm.top_k_accuracy_score,
            PROBA,
            _HIGHER,
            {"k": 2},
            True,
            _DECISION_FIRST,
        ),
        Metric(
            "top_3_accuracy",
            skm.top_k_accuracy_score,
            PROBA,
            _HIGHER,
            {"k": 3},
            True,
            _DECISION_FIRST,
        ),
        Metric("r2", skm.r2_score, VALUES, _HIGHER),
        Metric("mean_squared_error", skm.mean_squared_error, VALUES, _LOWER),
        Metric("root_mean_squared_error", skm.root_mean_squared_error, VALUES, _LOWER),
        Metric("mean_absolute_error", skm.mean_absolute_error, VALUES, _LOWER),
    )
}

_REGISTRY = {name: replace(metric, registered=name) for name, metric in _REGISTRY.items()}

METRIC_NAMES = tuple(_REGISTRY)
REGRESSION_METRICS = tuple(n for n, m in _REGISTRY.items() if m.response == VALUES)
CLASSIFICATION_METRICS = tuple(n for n in METRIC_NAMES if n not in REGRESSION_METRICS)


def get_metric(metric="accuracy", greater_is_better=None):
    """Resolve a metric name or callable.

    Parameters
    ----------
    metric : str, scorer or callable
        A name from ``METRIC_NAMES``, or ``neg_<loss>`` for one of its losses (the
        negated loss, greater is better, as scikit-learn's scorer of that name gives
        it); a scikit-learn scorer object (``make_scorer``, ``get_scorer``); or a
        callable ``metric(y_true, y_pred)`` on predicted labels.
    greater_is_better : bool, optional
        Direction; inferred when None (names with "loss" or "error" are lower-is-better).

    Returns
    -------
    Metric

    Raises
    ------
    ValueError
        For an unknown name, listing the valid names and the closest ones.
    """
    if greater_is_better is not None and not isinstance(greater_is_better, (bool, np.bool_)):
        raise TypeError(
            "greater_is_better must be True, False or None (inferred from the metric), got "
            f"{greater_is_better!r} ({type(greater_is_better).__name__})."
        )
    if greater_is_better is not None:
        greater_is_better = bool(greater_is_better)
    if isinstance(metric, Metric):
        return metric
    if metric is None:
        if greater_is_better is False:
            raise ValueError(
                "metric=None scores by the estimator's own score method, which is greater "
                "is better; leave greater_is_better as None."
            )
        return ESTIMATOR_SCORE
    if is_scorer(metric):
        if greater_is_better is False:
            raise ValueError(
                "A scikit-learn scorer is greater-is-better (make_scorer negates losses); "
                "leave greater_is_better as None."
            )
        return _scorer_metric(metric)
    if callable(metric):
        name = getattr(metric, "__name__", None) or type(metric).__name__
        if isinstance(metric, functools.partial):
            name = getattr(metric.func, "__name__", "metric")
        _check_callable(metric, name)
        greater = _infer_direction(name) if greater_is_better is None else greater_is_better
        return Metric(name=name, func=metric, response=LABELS, greater_is_better=greater)
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name or a callable, got {type(metric).__name__}.")
    name = metric
    negated = name not in _REGISTRY and name.startswith("neg_") and name[4:] in _REGISTRY
    if negated:
        return _negated(_REGISTRY[name[4:]], name, greater_is_better)
    if name not in _REGISTRY:
        close = difflib.get_close_matches(metric, METRIC_NAMES, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"Unknown metric {metric!r}.{hint} Valid names: {', '.join(METRIC_NAMES)}; "
            "neg_ before any of the losses and errors among them (neg_log_loss, "
            "neg_mean_squared_error, as scikit-learn names its scorers); or pass a scorer "
            "(sklearn.metrics.make_scorer) or a callable metric(y_true, y_pred)."
        )
    known = _REGISTRY[name]
    if greater_is_better is not None and greater_is_better != known.greater_is_better:
        raise ValueError(
            f"Metric {name!r} is {Direction.of(known.greater_is_better).label}; "
            f"greater_is_better={greater_is_better} contradicts it (leave it as None)."
        )
    return known


def estimator_score(estimator, X, y, sample_weight=None):
    """The estimator's own ``score(X, y)``: what ``metric=None`` scores by."""
    if sample_weight is None:
        return estimator.score(X, y)
    return estimator.score(X, y, sample_weight=sample_weight)


def takes_sample_weight(func):
    """Whether a scorer object or a function of ``(estimator, X, y)`` takes
    ``sample_weight`` (a scorer: whether its metric does)."""
    accept = getattr(func, "_accept_sample_weight", None)
    if callable(accept):
        return bool(accept())
    if func is estimator_score:
        return True
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return "sample_weight" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


#: ``metric=None``: the estimator's own ``score``, greater is better, as GridSearchCV's
#: ``scoring=None`` (mean accuracy for a classifier, R^2 for a regressor).
ESTIMATOR_SCORE = Metric("score", estimator_score, SCORER, _HIGHER)


def estimator_metric(func, name=None):
    """A metric ``func(estimator, X, y)`` called on the fitted model, greater is better.

    What GridSearchCV's ``scoring`` takes as a callable; ``fit_grid`` takes a plain
    callable as ``metric(y_true, y_pred)``, so such a function goes through this.

    Parameters
    ----------
    func : callable
        ``func(estimator, X, y) -> float``.
    name : str, optional
        The name in the table (default: the function's).

    Returns
    -------
    Metric
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}.")
    name = name or getattr(func, "__name__", None) or type(func).__name__
    return Metric(name=name, func=func, response=SCORER, greater_is_better=True)


class NamedScorers:
    """Several scorers at once: ``{name: scorer(estimator, X, y)}`` (GridSearchCV's
    list or dict ``scoring``).

    Parameters
    ----------
    scorers : dict of str to callable
        Each ``scorer(estimator, X, y)``.
    """

    def __init__(self, scorers):
        self.scorers = dict(scorers)

    def __call__(self, estimator, X, y, sample_weight=None):
        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        return {
            name: scorer(estimator, X, y, **(kw if takes_sample_weight(scorer) else {}))
            for name, scorer in self.scorers.items()
        }

    def _accept_sample_weight(self):
        return any(takes_sample_weight(s) for s in self.scorers.values())

    def __repr__(self):
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self.scorers.items())
        return f"NamedScorers({{{inner}}})"


def named_metric(scorer, primary=""):
    """A metric of several named scores: a scorer returning a dict, or ``NamedScorers``.

    Parameters
    ----------
    scorer : callable
        ``scorer(estimator, X, y) -> dict`` (or a float: then one score, as usual).
    primary : str
        The name the search ranks by (``""``: the first returned).

    Returns
    -------
    Metric
    """
    name = primary or getattr(scorer, "__name__", None) or type(scorer).__name__
    return Metric(name=name, func=scorer, response=SCORER, greater_is_better=True, primary=primary)


def _negated(known, name, greater_is_better):
    """``neg_<loss>``: the loss negated, greater is better, as scikit-learn's scorer gives it."""
    if known.greater_is_better:
        raise ValueError(
            f"Unknown metric {name!r}: {known.name!r} is already higher-is-better; "
            f"use {known.name!r}."
        )
    if greater_is_better is False:
        raise ValueError(
            f"Metric {name!r} is the negated {known.name}, so {Direction.HIGHER.label}: "
            f"greater_is_better=False contradicts it (leave it as None, or use "
            f"{known.name!r}, {Direction.LOWER.label})."
        )
    return replace(known, name=name, greater_is_better=True, sign=-1)


def is_scorer(metric):
    """Whether ``metric`` is a scikit-learn scorer (``make_scorer``, ``get_scorer``)."""
    return callable(metric) and hasattr(metric, "_score_func") and hasattr(metric, "_sign")


def _scorer_metric(scorer):
    """A scorer as a Metric: scored on the fitted model, greater is better (as GridSearchCV)."""
    name = _scorer_name(scorer)
    if name is None:
        func = scorer._score_func
        base = getattr(func, "__name__", None) or type(func).__name__
        name = base if scorer._sign > 0 else f"neg_{base}"
    return Metric(name=name, func=scorer, response=SCORER, greater_is_better=True)


def _scorer_name(scorer):
    """scikit-learn's name of a scorer (``get_scorer("roc_auc_ovr")``), if it has one."""
    from sklearn.metrics import get_scorer, get_scorer_names

    text = repr(scorer)
    return next((n for n in get_scorer_names() if repr(get_scorer(n)) == text), None)


def _infer_direction(name):
    lowered = name.lower()
    return not any(word in lowered for word in ("loss", "error", "deviance"))


def _check_callable(func, name):
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if len(positional) < 2 and not any(p.kind == p.VAR_POSITIONAL for p in positional):
        raise TypeError(
            f"metric callable {name!r} must take (y_true, y_pred), "
            f"got signature {inspect.signature(func)}."
        )


def check_metric_fits(metric, base, configs, *, fused=False):
    """Refuse, before any fit, a metric that the configurations cannot be scored by.

    Parameters
    ----------
    metric : Metric
        The resolved metric (``get_metric``).
    base : estimator
        The base estimator (unfitted).
    configs : list of dict
        The grid's configurations.
    fused : bool
        Whether a fused engine trains the configurations: it scores each model's outputs
        (class indices, or probabilities, which it always has), not a fitted estimator.

    Raises
    ------
    ValueError
        For a regression metric on a classifier; for a classification metric named by
        string (not a callable) on a scikit-learn regressor, which would score 0.0 and
        come back "ok"; for a probability metric and a configuration without
        ``predict_proba``.
    """
    from sklearn.base import clone, is_classifier, is_regressor

    if metric.response == VALUES and is_classifier(base):
        raise ValueError(f"Metric {metric.name!r} is for regression, not classifiers.")
    if metric.response == SCORER and fused:
        raise ValueError(
            "A scikit-learn scorer object scores a fitted estimator, but "
            f"{type(base).__name__} grids are scored from the fused models' outputs: pass "
            "the metric's name instead "
            f"(one of {', '.join(CLASSIFICATION_METRICS)}) or a callable metric(y_true, y_pred)."
        )
    if metric.registered in CLASSIFICATION_METRICS and is_regressor(base):
        raise ValueError(
            f"Metric {metric.name!r} scores classifiers, and {type(base).__name__} is "
            f"not one: pass a regression metric, e.g. metric='r2' (the choices: "
            f"{', '.join(REGRESSION_METRICS)})."
        )
    if metric.response != PROBA or fused:
        return
    for config in configs:
        estimator = clone(base).set_params(**config)
        if not any(hasattr(estimator, method) for method in metric.methods):
            raise ValueError(
                f"Metric {metric.name!r} needs {' or '.join(metric.methods)}, which "
                f"{type(base).__name__} "
                f"with {config} does not offer (SGDClassifier: loss='log_loss' or "
                "'modified_huber'; SVC: probability=True); or choose a metric on predicted "
                "labels such as 'accuracy'."
            )


#: Metrics for two classes only (``roc_auc`` and ``f1`` as scikit-learn defines them).
#: Two-class metrics of the positive class 1 (scikit-learn's ``pos_label=1``).
_POSITIVE_CLASS = tuple(family for family, _ in _AVERAGED)
_BINARY_ONLY = {"roc_auc": "roc_auc_ovr", **{name: f"{name}_macro" for name in _POSITIVE_CLASS}}
#: Metrics that cannot score a validation class never seen in training.
_TRAINING_CLASSES_ONLY = ("log_loss", "roc_auc_ovo", "top_2_accuracy", "top_3_accuracy")


def check_metric_labels(metric, y_train, y_val=None, where=""):
    """Refuse, before any fit, a classification metric that these labels cannot be scored by.

    Parameters
    ----------
    metric : Metric
        The resolved metric.
    y_train : ndarray
        Training labels.
    y_val : ndarray, optional
        Validation labels (None under cross-validation).
    where : str
        Which split the labels are, for the message (``"fold 2: "``; see
        :func:`check_fold_labels`).

    Raises
    ------
    ValueError
        For a two-class metric (``roc_auc``, ``f1``) on more than two classes; for a
        metric that needs every validation class among the training classes
        (``log_loss``, ``roc_auc_ovo``, ``top_k_accuracy``) when one is not; and for an
        ROC AUC on validation labels of one class only (it is undefined there).
    """
    name = metric.registered
    if name is None:
        return  # a callable or a scorer: the caller's to define
    train = np.unique(y_train)
    labels = train if y_val is None else np.union1d(train, np.unique(y_val))
    if name in _BINARY_ONLY and len(labels) > 2:
        raise ValueError(
            f"{where}Metric {metric.name!r} is for two classes, and the labels hold "
            f"{len(labels)}; use {_BINARY_ONLY[name]!r} (or another multiclass metric)."
        )
    if name in _POSITIVE_CLASS and 1 not in labels.tolist():
        raise ValueError(
            f"{where}Metric {name!r} scores the positive class 1, which the labels "
            f"{labels.tolist()} do not hold; use {_BINARY_ONLY[name]!r}, or encode the "
            "positive class as 1."
        )
    unseen = np.setdiff1d(labels, train)
    if name in _TRAINING_CLASSES_ONLY and unseen.size:
        raise ValueError(
            f"{where}Metric {metric.name!r} cannot score the validation classes "
            f"{unseen.tolist()}, which the training data never shows (no model can give them "
            "a probability); drop those samples, or choose a metric on predicted labels such "
            "as 'accuracy'."
        )
    if name.startswith("roc_auc") and y_val is not None and len(np.unique(y_val)) < 2:
        raise ValueError(
            f"{where}Metric {metric.name!r} is undefined on validation labels of one class "
            f"only ({np.unique(y_val).tolist()}): give a validation set with at least two "
            "classes, or choose another metric."
        )


def check_fold_labels(metric, y, folds):
    """:func:`check_metric_labels` for every fold of a cross-validation, before any fit.

    Parameters
    ----------
    metric : Metric
        The resolved metric.
    y : ndarray
        The training labels that the folds split.
    folds : list of (ndarray, ndarray)
        Each fold's training and validation rows.
    """
    if metric.registered is None:
        return
    for k, (train, test) in enumerate(folds):
        check_metric_labels(metric, y[train], y[test], where=f"In fold {k} of the cv: ")
