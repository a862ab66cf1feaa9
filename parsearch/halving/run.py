"""A halving search's run phase: every rung trained, ranked, pruned and checkpointed.

``run_search`` hands a search with ``halving`` to :func:`run_halving`, which yields
outcomes as ``execute`` does: at each rung but the last, the rows of the configurations
that stop there (pruned, or diverged or failed), and at the last rung the rows of the
survivors. The training is a *rungs* object (``parsearch.halving.rungs.Rungs``):
``parsearch.fused.rungs.FusedRungs`` (an engine's models in live fused runs) or
``parsearch.halving.partial.PartialRungs`` (scikit-learn estimators, passes of
``partial_fit``).

Resume. After each rung's decision, before its rows are stored, the results folder gets
``halving.checkpoint.npz`` (numpy's format with a JSON header, replaced atomically; no
pickle, so resuming a folder from elsewhere runs no code): the rung reached, the results
of the rows stopped there, and every survivor's state: a fused model's weights and
optimizer buffers per fold, as arrays, and its outcome so far (about the survivors'
parameters times 2 for SGD, weights and momentum, or 3 for Adam, per fold); a
``partial_fit`` estimator's fitted models are no arrays, so only that it survived (it
trains again from its first pass on resume, the same passes in the same order). A rerun
with ``resume=True`` reuses the stored rows (pruned rows are final as soon as they are
stored), stores the checkpoint's stopped rows that a kill kept out of ``scores.csv``, and
trains the survivors on from the checkpoint's rung: the table ends as an uninterrupted
run's would. Entries are keyed by each configuration's ``config_key`` and its occurrence
in the grid (``parsearch.rows.slot_keys``), so a grid that lists a configuration twice keeps both.
The checkpoint is removed when the search ends.
"""

from __future__ import annotations

import math
import warnings

from parsearch.halving.schedule import describe, expected_candidates, rung_resources, survivors
from parsearch.jobs import Outcome
from parsearch.results.identity import current_identity
from parsearch.rows import RESULT_COLUMNS, Col, Status, new_row, slot_keys

_RESULT_NAMES = set(RESULT_COLUMNS)

CHECKPOINT_VERSION = 2


def halving_identity(halving, seed=None):
    """What of the halving settings a resumed search must match (``meta.json``'s identity).

    ``seed``: the seed of the passes' order of a ``partial_fit`` estimator.
    """
    identity = describe(halving)
    if seed is not None:
        identity["seed"] = seed
    return identity


def halving_meta(halving, resume=None):
    """``meta.json``'s ``halving``: the settings, the rungs, and the candidates per rung so far."""
    return describe(halving, [] if resume is None else resume.get("candidates", []))


def planned_units(n, halving, folds, start_rung=0, from_scratch=False):
    """Model-epochs (or passes, times folds) to train, when none diverges or fails.

    ``n`` configurations train from rung ``start_rung`` on; ``from_scratch``: from the
    first epoch (no checkpoint), else from the rung before.
    """
    rungs = rung_resources(halving)
    units, before = 0, rungs[start_rung - 1] if start_rung and not from_scratch else 0
    for resource, count in zip(rungs[start_rung:], expected_candidates(n, halving)):
        units += count * (resource - before) * folds
        before = resource
    return units


def resume_point(store, keys, todo, halving, reused, engine=None):
    """Where a halving search whose folder holds stored rows goes on from.

    Parameters
    ----------
    store : parsearch.results.store.ResultStore or None
        The results folder (None without ``out``, or when not resuming).
    keys : list of str
        Each configuration's ``config_key``.
    todo : list of (int, dict)
        The configurations no stored row finishes.
    halving : parsearch.halving.Halving
        The resolved settings.
    reused : dict
        Grid position -> row reused from the folder.
    engine : str, optional
        The name of the fused engine whose states the checkpoint must hold (None: a
        ``partial_fit`` estimator's).

    Returns
    -------
    dict or None
        None to start afresh (no stored pruned row, no checkpoint). Else ``rung``: the
        last rung decided; ``pending``: grid position -> row stopped there but not yet
        stored; ``states``: grid position -> survivor state from the checkpoint, or None
        when there is no checkpoint to use (the survivors then train again from the first
        epoch, and compete from the rung after ``rung`` on, as they would have);
        ``candidates``: how many trained to each rung so far.
    """
    if store is None or not todo:
        return None
    read = store.read_checkpoint()
    header, arrays = read if read is not None else (None, None)
    slots = slot_keys(keys)
    position = {slots[i]: (i, c) for i, c in todo}
    usable = header is not None and header.get("engine") == engine
    if usable and _fits(header, store, position) and _rung_fits(header, halving):
        pending = {
            position[k][0]: {**new_row(position[k][1]), **results}
            for k, results in header["stopped"].items()
            if k in position
        }
        states = {position[k][0]: (record, k, arrays) for k, record in header["states"].items()}
        return {**header, "pending": pending, "states": states}
    rung = _last_rung_stored(halving, reused)
    if header is not None or rung is not None:
        warnings.warn(
            f"{store.checkpoint_path()} is missing, unreadable or of another grid: the "
            f"{len(todo)} configurations no stored row finishes train again from the first "
            "epoch" + ("" if rung is None else f", and compete from rung {rung + 2} on") + ".",
            RuntimeWarning,
            stacklevel=4,
        )
    if rung is None:
        return None
    return {"rung": rung, "pending": {}, "states": None, "candidates": []}


def _fits(checkpoint, store, position):
    """Whether a checkpoint is this search's, and its survivors are what is left to do.

    Its identity is compared as the folder's is (``ResultStore.identity_differs``): one
    that holds the data's fingerprint in its former form still fits.
    """
    if not isinstance(checkpoint, dict) or checkpoint.get("version") != CHECKPOINT_VERSION:
        return False
    identity = checkpoint.get("identity")
    states, stopped = checkpoint.get("states", {}), checkpoint.get("stopped", {})
    if not (isinstance(states, dict) and isinstance(stopped, dict)):
        return False
    states, stopped = set(states), set(stopped)
    return (
        isinstance(identity, dict)
        and store.identity_differs(current_identity(identity)) is None
        and states | stopped >= set(position)
        and states <= set(position)
    )


def _rung_fits(header, halving):
    """Whether the checkpoint's rung is one this search decides (not its last)."""
    rung, candidates = header.get("rung"), header.get("candidates")
    return (
        isinstance(rung, int)
        and not isinstance(rung, bool)
        and 0 <= rung < len(rung_resources(halving)) - 1
        and isinstance(candidates, list)
    )


def _last_rung_stored(halving, reused):
    """The last rung whose pruned rows are stored (its index), or None."""
    rungs = rung_resources(halving)
    reached = [
        int(row.get(Col.EPOCHS_TRAINED))
        for row in reused.values()
        if row.get(Col.STATUS) == Status.PRUNED and row.get(Col.EPOCHS_TRAINED) in rungs
    ]
    return rungs.index(max(reached)) if reached else None


def make_rungs(search, candidates, states=None, resource=0):
    """The training of a halving search (a ``Rungs``): the models of a fused engine in
    live runs, or a ``partial_fit`` estimator's passes.

    Parameters
    ----------
    search : parsearch.search.setup.Search
        The search set up (its estimator, data, metric, options and seed).
    candidates : list of (int, dict)
        The configurations to train.
    states : dict, optional
        Grid position -> state from a checkpoint taken after ``resource``.
    resource : int
        Epochs or passes trained so far (with ``states``).
    """
    options = search.options
    if search.engine is not None:
        from parsearch.fused.rungs import FusedRungs

        states = _decoded(FusedRungs, states)
        return FusedRungs(
            search.base, candidates, search.data, search.metric, engine=options.engine,
            states=states, resource=resource,
        )  # fmt: skip
    from parsearch.halving.partial import PartialRungs

    states = _decoded(PartialRungs, states)
    return PartialRungs(
        search.base, candidates, search.data, search.metric, seed=search.halving_seed,
        n_jobs=options.n_jobs, backend=options.backend, client=options.client, states=states,
        resource=resource,
    )  # fmt: skip


def _decoded(rungs_class, states):
    """Grid position -> state, from ``resume_point``'s (record, name, arrays)."""
    if states is None:
        return None
    return {i: rungs_class.decode_state(*entry) for i, entry in states.items()}


def run_halving(search, plan, bar):
    """Train the configurations rung by rung; yield the rows of those that stop.

    Parameters
    ----------
    search : parsearch.search.setup.Search
        The search set up, with ``halving``.
    plan : parsearch.search.phases.Plan
        Its plan: the configurations to train (``todo``: those no stored row finishes),
        the checkpoint to go on from (``halving_resume``), the folder and ``meta.json``
        (whose ``halving`` record it keeps up to date).
    bar : tqdm.tqdm
        The progress bar (model-epochs trained; the rung and survivors in its postfix).

    Yields
    ------
    list of parsearch.jobs.Outcome
        The configurations stopped at a rung; at the last rung, the survivors.
    """
    halving, resume, todo = search.halving, plan.halving_resume, plan.todo
    rungs = rung_resources(halving)
    start, states, resource = 0, None, 0
    if resume is not None:
        start = resume["rung"] + 1
        pending = [_stored(i, row) for i, row in resume["pending"].items()]
        if pending:
            yield pending
        todo = [(i, c) for i, c in todo if i not in resume["pending"]]
        if resume["states"] is not None:  # go on from the checkpoint's rung
            states, resource = resume["states"], rungs[start - 1]
    if not todo:
        return
    try:
        trainer = make_rungs(search, todo, states, resource)
    except Exception as exc:  # a checkpoint that fits the grid but not the models
        if states is None:
            raise
        warnings.warn(
            f"{plan.store.checkpoint_path()} cannot be used ({type(exc).__name__}: {exc}): "
            f"its {len(todo)} survivors train again from the first epoch, and compete from "
            f"rung {start + 1} on.",
            RuntimeWarning,
            stacklevel=3,
        )
        trainer = make_rungs(search, todo)
    record = plan.meta["halving"]
    candidates = record["candidates"]
    for k in range(start, len(rungs)):
        candidates.append(len(trainer.live))
        bar.set_postfix_str(
            f"rung {k + 1}/{len(rungs)} to {rungs[k]} {trainer.unit}"
            f"{'s' if rungs[k] > 1 else ''}: {len(trainer.live)} training",
            refresh=True,
        )
        trainer.train_to(rungs[k], bar.update)
        if k == len(rungs) - 1:
            yield trainer.finish()
            return
        stopped = _decide(trainer, halving.factor, search.metric.greater_is_better)
        trainer.repack()
        if plan.store:
            engine = None if search.engine is None else search.engine.name
            header, arrays = _checkpoint(plan, engine, k, candidates, trainer, stopped)
            size = plan.store.write_checkpoint(header, arrays)
            record.setdefault("checkpoint_bytes", []).append(size)
            plan.store.write_meta(plan.meta)
        yield stopped


def _decide(trainer, factor, greater_is_better):
    """Stop the configurations that do not go on from this rung; their outcomes."""
    scores = trainer.rung_scores()
    keep = survivors(scores, factor, greater_is_better)
    unscored = {i for i, s in scores if not math.isfinite(s)}
    losers = {i for i, _ in scores} - keep - unscored
    return trainer.stop(unscored, pruned=False) + trainer.stop(losers, pruned=True)


def _checkpoint(plan, engine, rung, candidates, trainer, stopped):
    """What goes on from ``rung``: the survivors' states and the results of the rows
    stopped there (their parameters are the grid's).

    Returns
    -------
    (dict, dict)
        The JSON header and the arrays of the states.
    """
    slots, arrays = slot_keys(plan.keys), {}
    configs = {o.index: o.row for o in stopped}
    header = {
        "version": CHECKPOINT_VERSION,
        "engine": engine,
        "identity": plan.identity,
        "rung": rung,
        "candidates": list(candidates),
        "stopped": {slots[i]: _results(row, plan.columns) for i, row in configs.items()},
        "states": {
            slots[i]: trainer.encode_state(state, slots[i], arrays)
            for i, state in trainer.states().items()
        },
    }
    return header, arrays


def _results(row, columns):
    """A row's result columns (those of the table that are no grid parameter)."""
    return {c: row[c] for c in columns if c in row and c in _RESULT_NAMES}


def _stored(index, row):
    """A stopped row from the checkpoint, as an outcome to store."""
    return Outcome(index=index, row=dict(row))
