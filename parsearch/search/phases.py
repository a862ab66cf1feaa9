"""Phases 2-4 of ``fit_grid``: plan, run and collect, finish.

Each reads the frozen :class:`~parsearch.search.setup.Search` that ``set_up`` built and
returns its own part, which the next phase takes:

- :func:`plan_search` -> :class:`Plan`: the table's columns, the resume identity, the
  rows an earlier run finished (from ``out/scores.csv``), and the jobs for the rest
  (fused chunks of an engine, or one job per configuration); ``meta.json``'s description;
- :func:`run_search` -> :class:`Collected`: the results folder opened (reused rows
  first), every job run (here, through joblib, or on Dask), each row stored as it
  arrives, warned about if it failed or diverged, and offered as the best;
- :func:`finish_search`: the table, ``meta.json``'s ending, the heatmap, the result.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.exceptions import FitFailedWarning

from parsearch.engine import engine_of
from parsearch.execute import execute
from parsearch.execute.dask import chunk_memory_budget
from parsearch.execute.tasks import configured
from parsearch.halving.run import (
    halving_identity,
    halving_meta,
    planned_units,
    resume_point,
    run_halving,
)
from parsearch.plan import make_plan
from parsearch.results.files import ALL_FAILED, HEATMAP, INTERRUPTED
from parsearch.results.identity import (
    ResumeMismatch,
    data_fingerprint,
    estimator_description,
    folds_identity,
    is_legacy_fingerprint,
    legacy_data_fingerprint,
    metric_identity,
)
from parsearch.results.read import read_meta
from parsearch.results.store import ResultStore
from parsearch.rows import (
    BestSoFar,
    Col,
    Status,
    config_key,
    exact_repr,
    slot_keys,
    succeeded,
)
from parsearch.search.meta import finish_meta, start_meta
from parsearch.search.progress import prefetch_plotting, progress_bar
from parsearch.search.result import GridResult


@dataclass(frozen=True)
class Plan:
    """What ``plan_search`` found and decided.

    Attributes
    ----------
    keys : list of str
        Each configuration's ``config_key``.
    columns : list of str
        The table's columns.
    identity : dict
        The resume identity.
    store : parsearch.results.store.ResultStore or None
        The results folder (None without ``out``).
    reused : dict
        Grid position -> row an earlier run finished.
    todo : list of (int, dict)
        The configurations no stored row finishes.
    jobs : list of parsearch.jobs.Job
        The jobs for them.
    meta : dict
        ``meta.json``, kept up to date as the search runs.
    halving_resume : dict or None
        The checkpoint a halving search goes on from (None to start afresh).
    """

    keys: list
    columns: list
    identity: dict
    store: object
    reused: dict
    todo: list
    jobs: list
    meta: dict
    halving_resume: dict | None = None


@dataclass(frozen=True)
class Collected:
    """What ``run_search`` collected: each configuration's row and model, and the best.

    Attributes
    ----------
    rows : list of dict
        Each configuration's row, in grid order.
    models : list
        Each configuration's fitted model (None where none, or unless kept).
    best : parsearch.rows.BestSoFar
        The best row.
    failures : list of str
        With a numeric ``error_score``: the traceback of every split that raised.
    alone : dict
        Why a fused engine trained some configurations one at a time -> how many
        (``meta.json``'s ``execution.trained_alone``).
    """

    rows: list
    models: list
    best: BestSoFar
    failures: list = field(default_factory=list)
    alone: dict = field(default_factory=dict)


def plan_search(search):
    """Find what an earlier run finished, and plan jobs for the rest.

    Returns
    -------
    Plan

    Raises
    ------
    parsearch.results.identity.ResumeMismatch
        When ``out`` holds results of another search (see ``ResultStore``).
    """
    grid, data, options = search.grid, search.data, search.options
    keys = [config_key(c) for c in grid.configs]
    columns = table_columns(
        grid,
        search.engine is not None,
        cv_scored=data.folds is not None,
        halving=search.halving,
        train_scores=data.train_scores,
        named=search.metric.primary is not None,
    )
    identity = {
        "estimator": estimator_description(search.base, grid.always_set),
        # Hashing the data costs a pass over it: only a results folder needs it.
        "data": data_fingerprint(data.X_train, data.y_train, data.X_val, data.y_val)
        if options.out
        else None,
        "metric": metric_identity(search.metric),
        "validation": "holdout" if data.folds is None else folds_identity(data.folds),
    }
    if data.fit_params:  # only then: folders of other searches still resume
        identity["fit_params"] = {k: exact_repr(v) for k, v in sorted(data.fit_params.items())}
    if data.train_scores:  # only then: folders without train scores still resume
        identity["train_scores"] = True
    if search.halving is not None:  # only then: folders of other searches still resume
        seed = None if search.engine is not None else search.halving_seed  # passes' order
        identity["halving"] = halving_identity(search.halving, seed)
    store = None
    if options.out:
        arrays = (data.X_train, data.y_train, data.X_val, data.y_val)
        former = {"data": (is_legacy_fingerprint, lambda: legacy_data_fingerprint(*arrays))}
        store = ResultStore(options.out, columns, identity, former)
        if not options.resume:  # starting afresh: an old halving checkpoint is not ours
            store.remove_checkpoint()
    finished = store.finished_rows(options.resume) if store else {}
    _refuse_other_direction(finished, search.metric, options.out)
    # Failed rows are tried again (the cause may have passed: a lost worker, memory), and
    # so are "ok" rows without a finite score (an older version stored a metric's NaN so).
    halving = search.halving is not None
    reused = {
        i: finished[k]
        for i, k in enumerate(keys)
        if k in finished and _reusable(finished[k], halving)
    }
    todo = [(i, c) for i, c in enumerate(grid.configs) if i not in reused]
    resume = None
    if halving:
        where = store if options.resume else None
        engine = None if search.engine is None else search.engine.name
        resume = resume_point(where, keys, todo, search.halving, reused, engine)
    budget = None
    if options.client is not None and search.engine is not None and options.engine == "auto":
        params = search.base.get_params(deep=False)
        devices = [search.engine.device({**params, **c}) for _, c in todo]
        budget = chunk_memory_budget(options.client, search.engine, devices)
    jobs = make_plan(
        search.base,
        todo,
        engine=options.engine,
        n_features=data.X_train.shape[1],
        n_classes=search.n_classes,
        memory_budget=budget,
        n_folds=search.n_folds,
    )
    meta = start_meta(search, identity, jobs, len(reused), budget)
    if halving:
        meta["halving"] = halving_meta(search.halving, resume)
        if not todo and store:  # every row reused: keep the record of the rungs
            earlier = read_meta(options.out).get("halving")
            if isinstance(earlier, dict):
                meta["halving"] = earlier
    return Plan(keys, columns, identity, store, reused, todo, jobs, meta, resume)


def _refuse_other_direction(finished, metric, out):
    """Refuse to reuse rows scored with the other direction (a callable's greater_is_better).

    A registered metric's name fixes its direction, and the name is in the folder's
    identity; a callable's direction is the caller's ``greater_is_better``, which a rerun
    could flip: its rows would then rank against the old ones the wrong way round.

    Raises
    ------
    ResumeMismatch
        When some stored row has another ``direction`` than ``metric``'s.
    """
    now = str(metric.direction)
    stored = {r.get(Col.DIRECTION) for r in finished.values()}
    other = {d for d in stored if isinstance(d, str) and d != now}
    if other:
        raise ResumeMismatch(
            f"{out} holds results scored with {metric.name} as {', '.join(sorted(other))}, "
            f"and this search's is {now} (greater_is_better="
            f"{metric.greater_is_better}). Give the same greater_is_better, pass "
            "resume=False to start afresh (it overwrites scores.csv), or choose another out "
            "folder."
        )


def _reusable(row, halving=False):
    """Whether a finished row of an earlier run is kept: diverged, or ok with a score.

    In a halving search (the resume identity holds its settings, so only one of the same
    settings reads these rows) a pruned row, with its rung score, is final, and so is a
    failed one: tried again alone it would meet none of the configurations it competed
    with.
    """
    status = row.get(Col.STATUS)
    if status == Status.PRUNED:
        return succeeded(Status.OK, row.get(Col.SCORE))
    if status == Status.FAILED:
        return halving
    return status == Status.DIVERGED or succeeded(status, row.get(Col.SCORE))


def table_columns(grid, fused, cv_scored, halving=None, train_scores=False, named=False):
    """The columns of the table and of ``scores.csv``: parameters, results, key.

    ``fused``: a fused engine trains the configurations (their rows have the last
    epoch's training loss and the score after every epoch). ``train_scores``: each
    split's score on its own training rows (``return_train_score``). ``named``: a
    scorer of several named scores (``named_scores``: each one's split scores).
    """
    result = [Col.SCORE, Col.STATUS, Col.ERROR, Col.FIT_SECONDS, Col.METRIC, Col.DIRECTION]
    if cv_scored:
        result += [Col.SCORE_STD, Col.FOLD_SCORES]
    if train_scores:
        result.append(Col.TRAIN_SCORES)
    if named:
        result.append(Col.NAMED_SCORES)
    if not fused and halving is None:  # each split's fit and score seconds
        result.append(Col.SPLIT_SECONDS)
    if fused:
        result += [Col.TRAIN_LOSS, Col.EPOCH_SCORES]
    if halving is not None:
        result.append(Col.EPOCHS_TRAINED)
    return [*grid.axes, *result, Col.KEY]


def run_search(search, plan):
    """Run every job and collect its rows: stored at once, warned about, offered as best.

    A search stopped early (Ctrl-C, a lost cluster) is marked ``"interrupted"`` in
    ``meta.json``; every row finished before is in ``scores.csv``.

    Returns
    -------
    Collected
    """
    grid, store, options = search.grid, plan.store, search.options
    best = BestSoFar(search.metric.greater_is_better)
    collected = Collected([None] * len(grid), [None] * len(grid), best)
    for i, row in plan.reused.items():
        collected.rows[i] = {**row, **grid.configs[i]}
        best.offer(i, row)
    if store:
        reused_rows = [collected.rows[i] for i in sorted(plan.reused)]
        dropped = store.open(reused_rows, keys=plan.keys if options.resume else None)
        if dropped:
            warnings.warn(dropped, stacklevel=3)
        store.write_meta(plan.meta)
    if store and options.plot and not any(j.fused for j in plan.jobs):
        prefetch_plotting()
    halving_passes = search.halving is not None and search.engine is None
    bar = progress_bar(
        options.progress,
        _planned_units(search, plan),
        search.engine is not None,
        len(grid),
        len(plan.reused),
        unit="pass" if halving_passes else None,
    )
    try:
        checkpoint = _chunk_checkpoint(search, plan)
        if search.halving is not None:
            outcomes = run_halving(search, plan, bar)
        else:
            outcomes = execute(
                plan.jobs,
                search.base,
                search.data,
                search.metric,
                n_jobs=options.n_jobs,
                backend=options.backend,
                on_units=bar.update,
                client=options.client,
                checkpoint=checkpoint,
            )
        for job_outcomes in outcomes:
            for outcome in job_outcomes:
                collect(search, store, collected, outcome)
            if best.index is not None and search.halving is None:
                bar.set_postfix({search.metric.name: f"{best.score:.4g}"}, refresh=False)
        if store and search.halving is not None:
            store.remove_checkpoint()  # every row is stored: nothing to go on from
        if checkpoint is not None:
            checkpoint.remove()
    except BaseException:  # stopped (Ctrl-C, a lost cluster): say so in meta.json
        if store:
            with contextlib.suppress(Exception):
                store.write_meta({**plan.meta, "status": INTERRUPTED})
        raise
    finally:
        bar.close()
        if store:
            store.close()
    return collected


def _chunk_checkpoint(search, plan):
    """Where this process's fused chunks save their models as they train (with ``out``,
    outside halving, which keeps its own, and not on Dask), or None."""
    fused_here = any(job.fused for job in plan.jobs) and search.options.client is None
    if plan.store is None or search.halving is not None or not fused_here:
        return None
    from parsearch.fused.checkpoint import ChunkCheckpoint

    slots, engine = slot_keys(plan.keys), search.engine.name
    return ChunkCheckpoint(plan.store, slots, plan.identity, engine, resume=search.options.resume)


def _planned_units(search, plan):
    """Progress units: model-epochs (of an engine; passes of partial_fit) or fits to run."""
    if search.halving is None:
        return sum(j.units for j in plan.jobs)
    folds, resume, todo = search.n_folds, plan.halving_resume, plan.todo
    if resume is None:
        return planned_units(len(todo), search.halving, folds)
    if resume["states"] is None:  # no checkpoint: the survivors train again from scratch
        n = len(todo) - len(resume["pending"])
        return planned_units(n, search.halving, folds, resume["rung"] + 1, from_scratch=True)
    # partial_fit survivors train again from their first pass (a checkpoint holds no model)
    again = search.engine is None
    n = len(resume["states"])
    return planned_units(n, search.halving, folds, resume["rung"] + 1, from_scratch=again)


def collect(search, store, collected, outcome):
    """Take one configuration's outcome: store its row, warn if it failed, offer it as best."""
    metric = search.metric
    row = {**outcome.row, Col.METRIC: metric.name, Col.DIRECTION: metric.direction}
    collected.rows[outcome.index] = row
    if store:
        store.append(row)
    config = search.grid.configs[outcome.index]
    if search.data.error_score is not None and not isinstance(search.data.error_score, str):
        # a numeric error_score: the fits that raised are counted in one warning at the end
        # (as GridSearchCV's), a scoring that raised was warned of as it happened
        collected.failures.extend(outcome.split_failures)
    elif outcome.traceback:
        warnings.warn(
            f"Configuration {config} failed: {row[Col.ERROR]}\n{outcome.traceback}",
            FitFailedWarning,
            stacklevel=4,
        )
    elif row[Col.STATUS] == Status.DIVERGED:
        warnings.warn(
            f"Configuration {config} diverged: {row[Col.ERROR]}", RuntimeWarning, stacklevel=4
        )
    if outcome.alone:
        collected.alone[outcome.alone] = collected.alone.get(outcome.alone, 0) + 1
    if search.options.keep_models == "all":
        collected.models[outcome.index] = outcome.model
    collected.best.offer(outcome.index, row, outcome.model)


def finish_search(search, plan, collected):
    """Build the table and the result; write ``meta.json``'s ending and the heatmap.

    Returns
    -------
    GridResult

    Raises
    ------
    RuntimeError
        When every configuration failed or diverged (with the first error).
    """
    table = results_table(collected.rows, plan.columns, search.metric)
    meta, store, best = plan.meta, plan.store, collected.best
    meta.update(finish_meta(search.grid, best, search.t0, table))
    if collected.alone:  # configurations of a fused engine that trained one at a time
        meta["execution"]["trained_alone"] = [
            {"configurations": n, "why": why} for why, n in collected.alone.items()
        ]
    error_score = search.data.error_score
    if error_score is not None:
        _fit_failures(collected.failures, len(table) * search.n_folds, error_score)
    if meta["status"] == ALL_FAILED and error_score is None:
        if store:
            store.write_meta(meta)
        errors = [e for e in table[Col.ERROR] if e] or ["no score"]
        pruned = int((table[Col.STATUS] == Status.PRUNED).sum())
        if pruned:
            where = f" (and in {search.options.out / 'scores.csv'})" if store else ""
            raise RuntimeError(
                f"Every configuration that reached the last rung of halving failed or "
                f"diverged; {pruned} were pruned before it, with their rung scores in the "
                f"table{where}. The first error: {errors[0]}"
            )
        raise RuntimeError(
            f"All {len(table)} configurations failed or diverged; the first error: {errors[0]}"
        )
    base, data = search.base, search.data
    held = {  # what a result holds whether or not a configuration scored
        "table": table,
        "metric": search.metric.name,
        "greater_is_better": search.metric.greater_is_better,
        "axes": search.grid.axes,
        "out": search.options.out,
        "meta": meta,
        "models": collected.models if search.options.keep_models == "all" else None,
        "configs": [dict(c) for c in search.grid.configs],
        "_sklearn_order": search.grid.sklearn_order,
    }
    if best.index is None:  # error_score given and no configuration scored: as sklearn
        if store:
            store.write_meta(meta)
        return GridResult(best_params=None, best_score=float("nan"), _best_model=None, **held)
    best_params = dict(search.grid.configs[best.index])
    result = GridResult(
        best_params=best_params,
        best_score=best.score,
        _best_model=best.model,
        _refit=functools.partial(
            refit, base, best_params, data, search.halving, search.halving_seed
        ),
        **held,
    )
    if store:
        if search.options.plot:  # a drawing error is a warning: the rows are what counts
            from parsearch.plot.figure import save_plot_safely

            problem = save_plot_safely(result.plot, search.options.out / HEATMAP)
            meta["heatmap"] = HEATMAP if problem is None else None
            if problem is not None:
                meta["heatmap_error"] = problem
        store.write_meta(meta)
    return result


def _fit_failures(failures, n_fits, error_score):
    """GridSearchCV's account of fits that raised: a ValueError when every fit did, else
    one FitFailedWarning that counts them and shows each distinct error once."""
    if not failures:
        return
    counts = {}
    for text in failures:
        counts[text] = counts.get(text, 0) + 1
    details = "\n".join(
        f"{'-' * 80}\n{n} fits failed with the following error:\n{text}"
        for text, n in counts.items()
    )
    if len(failures) == n_fits:
        raise ValueError(
            f"\nAll the {n_fits} fits failed.\nIt is very likely that your model is "
            "misconfigured.\nYou can try to debug the error by setting error_score='raise'."
            f"\n\nBelow are more details about the failures:\n{details}"
        )
    warnings.warn(
        f"\n{len(failures)} fits failed out of a total of {n_fits}.\nThe score on these "
        f"train-test partitions for these parameters will be set to {error_score}.\nIf "
        "these failures are not expected, you can try to debug them by setting "
        f"error_score='raise'.\n\nBelow are more details about the failures:\n{details}",
        FitFailedWarning,
        stacklevel=4,
    )


def refit(base, params, data, halving=None, seed=0):
    """The best configuration fitted on all the training data, as the search fitted it.

    A ``partial_fit`` estimator of a halving search gets ``max_resource`` passes of
    ``partial_fit``, as its survivors did; anything else is fitted by ``fit``.
    """
    model = configured(base, params)
    if halving is None or engine_of(base) is not None:
        # what fit returns is not used, as in sklearn
        X, y = data.given or (data.X_train, data.y_train)
        model.fit(X, y, **(data.fit_params or {}))
        return model
    from parsearch.halving.partial import partial_passes

    classes = np.unique(data.y_train) if is_classifier(base) else None
    return partial_passes(model, data.X_train, data.y_train, 0, halving.max_resource, seed, classes)


def results_table(rows, columns, metric):
    """The rows as a DataFrame with the given columns, in grid order."""
    table = pd.DataFrame.from_records(rows, columns=columns)
    table[Col.METRIC] = metric.name
    table[Col.DIRECTION] = metric.direction.value
    table[Col.STATUS] = [str(s) for s in table[Col.STATUS]]  # plain strings, as read back
    table[Col.SCORE] = table[Col.SCORE].astype(float)
    table[Col.ERROR] = ["" if pd.isna(v) else str(v) for v in table[Col.ERROR]]
    return table
