"""A search's table in the format of GridSearchCV's ``cv_results_``, for code ported from it.

Keys as scikit-learn gives them: ``params``, ``param_<name>`` (masked arrays: masked where
a sub-grid leaves the parameter unset), ``split<k>_test_score``, ``mean_test_score``,
``std_test_score``, ``rank_test_score``, the timing keys (in GridSearchCV's order), and
``split<k>_train_score``, ``mean_train_score``, ``std_train_score`` where the table has
``train_scores`` (``return_train_score=True``). The scores are fit_grid's
(in the metric's sign: the positive ``log_loss`` for ``metric="log_loss"``, the negated one
for ``"neg_log_loss"``, as GridSearchCV's scorer gives it); a failed or diverged
configuration has NaN scores and ranks last, as GridSearchCV ranks a failed fit with
``error_score=np.nan``. Ranks follow the metric's direction. Under halving, pruned
configurations (scored after fewer epochs) rank after every finished one, and
``n_resources`` holds each one's ``epochs_trained``. Timings: ``mean_fit_time``
and the others are measured per split for estimators fitted one by one (the column
``split_seconds``); for a fused chunk ``mean_fit_time`` is the chunk's time shared by its
models, and the rest are NaN.
"""

from __future__ import annotations

import numpy as np

from parsearch.rows import Col, Status


def cv_results(table, configs, greater_is_better, order=None):
    """GridSearchCV-style ``cv_results_`` of a results table.

    Parameters
    ----------
    table : pandas.DataFrame
        ``GridResult.table``: one row per configuration, in grid order.
    configs : list of dict
        The configurations, in the same order.
    greater_is_better : bool
        The metric's direction (for the ranks).
    order : list of int, optional
        The rows in the order GridSearchCV lists them (``Grid.sklearn_order``: each
        sub-grid's keys sorted); default: the table's.

    Returns
    -------
    dict
    """
    if order is not None and sorted(order) == list(range(len(table))):
        table = table.iloc[order].reset_index(drop=True)
        configs = [configs[i] for i in order]
    scores = table[Col.SCORE].to_numpy(dtype=float)
    splits = _split_scores(table, scores)
    results = {"params": [dict(c) for c in configs]}
    names = sorted({name for c in configs for name in c})
    for name in names:
        results[f"param_{name}"] = _param_array(name, configs)
    for k, column in enumerate(splits.T):
        results[f"split{k}_test_score"] = column
    results["mean_test_score"] = scores
    results["std_test_score"] = np.where(np.isnan(scores), np.nan, np.nanstd(splits, axis=1))
    statuses = table[Col.STATUS].astype(str).to_numpy()
    trained = None
    if Col.EPOCHS_TRAINED in table.columns:  # a halving search: its resource per row
        trained = table[Col.EPOCHS_TRAINED].to_numpy(dtype=float)
        results["n_resources"] = trained
    results["rank_test_score"] = _ranks(scores, greater_is_better, statuses, trained)
    if Col.TRAIN_SCORES in table.columns:
        train = _score_lists(table[Col.TRAIN_SCORES], splits.shape[1])
        for k, column in enumerate(train.T):
            results[f"split{k}_train_score"] = column
        results["mean_train_score"] = np.mean(train, axis=1)
        results["std_train_score"] = np.std(train, axis=1)
    fit = table[Col.FIT_SECONDS].to_numpy(dtype=float) / splits.shape[1]
    nan = np.full(len(configs), np.nan)
    results.update(mean_fit_time=fit, std_fit_time=nan, mean_score_time=nan, std_score_time=nan)
    if Col.SPLIT_SECONDS in table.columns:  # measured per split: as GridSearchCV times them
        _split_times(results, table[Col.SPLIT_SECONDS])
    if Col.NAMED_SCORES in table.columns:
        _named(results, table[Col.NAMED_SCORES], splits)
    return _sklearn_key_order(results)


def _split_times(results, column):
    """``mean_fit_time`` and the others from each split's measured seconds, where a row
    has them (rows of fused models, or of an older version, keep the shared estimate)."""
    for i, times in enumerate(column):
        if not isinstance(times, dict):
            continue
        for kind in ("fit", "score"):
            values = np.asarray(times.get(kind) or [np.nan], dtype=float)
            results[f"mean_{kind}_time"][i] = values.mean()
            results[f"std_{kind}_time"][i] = values.std()


def _named(results, column, splits):
    """Several named scores (GridSearchCV's multi-metric): ``split<k>_test_<name>``,
    ``mean_test_<name>``, ``std_test_<name>``, ``rank_test_<name>`` (and train) for each,
    in place of the one score's keys. Unchanged where no row holds named scores; a row
    without them (every split failed) has its split scores (``error_score``) under each."""
    rows = [v if isinstance(v, dict) else None for v in column]
    names = list(dict.fromkeys(n for r in rows if r for n in r.get("test", {})))
    if not names:
        return
    for key in [k for k in results if k.endswith(("_test_score", "_train_score"))]:
        del results[key]
    for which in ("test", "train"):
        if not any(r and which in r for r in rows):
            continue
        n_splits = max(len(r[which][n]) for r in rows if r and which in r for n in r[which])
        for name in names:
            values = np.array(
                [
                    r[which].get(name, [np.nan] * n_splits)
                    if r and which in r
                    else (splits[i] if which == "test" else [np.nan] * n_splits)
                    for i, r in enumerate(rows)
                ],
                dtype=float,
            )
            for k, split in enumerate(values.T):
                results[f"split{k}_{which}_{name}"] = split
            results[f"mean_{which}_{name}"] = values.mean(axis=1)
            results[f"std_{which}_{name}"] = values.std(axis=1)
            if which == "test":
                results[f"rank_test_{name}"] = _ranks(values.mean(axis=1), True)


def _sklearn_key_order(results):
    """The keys in GridSearchCV's order: timings, parameters, test scores, train scores."""
    first = ["mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"]
    params = [k for k in results if k.startswith("param_")] + ["params"]
    train = [k for k in results if "_train_" in k]
    rest = [k for k in results if k not in {*first, *params, *train}]
    return {k: results[k] for k in [*first, *params, *rest, *train]}


def _param_array(name, configs):
    """The values of one parameter as scikit-learn gives them: a masked array, of numbers
    where every set value is a number (float64, int64), else of objects; masked where a
    configuration leaves it unset."""
    given = [c[name] for c in configs if name in c]
    try:
        array = np.array(given)
    except ValueError:
        dtype = np.dtype(object)
    else:
        dtype = array.dtype if array.dtype.kind != "U" and array.ndim == 1 else np.dtype(object)
    values = np.ma.MaskedArray(np.empty(len(configs), dtype=dtype), mask=True)
    for i, config in enumerate(configs):
        if name in config:
            values[i] = config[name]
    return values


def _split_scores(table, scores):
    """(configurations, splits) scores: the folds' under cross-validation, else the one.

    A configuration that failed in some fold keeps the other folds' scores, as
    GridSearchCV keeps every split's; one that failed before any fold scored has NaN.
    """
    if Col.FOLD_SCORES not in table.columns:
        return scores[:, None]
    return _score_lists(table[Col.FOLD_SCORES])


def _score_lists(column, n=None):
    """A column of per-split score lists as (configurations, splits); NaN where none."""
    lists = [s if isinstance(s, list) and len(s) else None for s in column]
    n = n or max((len(s) for s in lists if s is not None), default=1)
    rows = [s if s is not None else [np.nan] * n for s in lists]
    return np.asarray(rows, dtype=float)


def _ranks(scores, greater_is_better, statuses=None, trained=None):
    """1 for the best; ties share the lowest rank; NaN (failed) last, as GridSearchCV ranks.

    Under halving, pruned rows (scored after fewer epochs) rank after every finished
    row: those stopped later first, then by score.
    """
    n = len(scores)
    oriented = np.where(np.isnan(scores), -np.inf, scores if greater_is_better else -scores)
    pruned = np.zeros(n, bool) if statuses is None else statuses == Status.PRUNED
    tier = np.where(np.isnan(scores), 2, np.where(pruned, 1, 0))
    later = np.zeros(n) if trained is None else np.where(pruned, -np.nan_to_num(trained), 0)
    key = list(zip(tier, later, -oriented))
    order = sorted(range(n), key=lambda i: key[i])
    ranks = np.empty(n, dtype=np.int32)
    for position, i in enumerate(order):
        tied = position and key[order[position - 1]] == key[i]
        ranks[i] = ranks[order[position - 1]] if tied else position + 1
    return ranks
