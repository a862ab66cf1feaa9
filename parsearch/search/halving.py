"""A halving search's run phase: every rung trained, ranked, pruned and checkpointed.

``run_search`` hands a search with ``halving`` to :func:`run_halving`, which yields
outcomes as ``execute`` does: at each rung but the last, the rows of the configurations
that stop there (pruned, or diverged or failed), and at the last rung the rows of the
survivors. The training is a *rungs* object: ``parsearch.nets.rungs.NetworkRungs`` (the
networks in live fused runs) or ``parsearch.execute.partial.PartialRungs`` (scikit-learn
estimators, passes of ``partial_fit``).

Resume. After each rung's decision, before its rows are stored, the results folder gets
``halving.checkpoint.pkl`` (a pickle, replaced atomically): the rung reached, the rows
stopped there, and every survivor's state (a network's weights and optimizer buffers
per fold, as host arrays, and its outcome so far; a ``partial_fit`` estimator's fitted
models). Its size is about the survivors' parameters times 2 for SGD (weights and
momentum) or 3 for Adam, per fold. A rerun with ``resume=True`` reuses the stored rows
(pruned rows are final as soon as they are stored), stores the checkpoint's stopped rows
that a kill kept out of ``scores.csv``, and trains the survivors on from the checkpoint's
rung: the table ends as an uninterrupted run's would. The checkpoint is removed when the
search ends.
"""

from __future__ import annotations

import math
import warnings

from parsearch.execute.tasks import Outcome
from parsearch.halving import describe, expected_candidates, rung_resources, survivors
from parsearch.results.identity import current_identity
from parsearch.rows import Col, Status

CHECKPOINT_VERSION = 1


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


def resume_point(search, todo):
    """Where a halving search whose folder holds stored rows goes on from.

    Parameters
    ----------
    search : parsearch.search.setup.Search
        Planned up to the reused rows.
    todo : list of (int, dict)
        The configurations no stored row finishes.

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
    store = search.store
    if store is None or not search.options.resume or not todo:
        return None
    checkpoint = store.read_checkpoint()
    position = {search.keys[i]: i for i, _ in todo}
    if checkpoint is not None and _fits(checkpoint, store, position):
        pending = {position[k]: row for k, row in checkpoint["stopped"].items() if k in position}
        states = {position[k]: s for k, s in checkpoint["states"].items()}
        return {**checkpoint, "pending": pending, "states": states}
    rung = _last_rung_stored(search)
    if checkpoint is not None or rung is not None:
        warnings.warn(
            f"{store.checkpoint_path} is missing, unreadable or of another grid: the "
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
    states, stopped = set(checkpoint.get("states", {})), set(checkpoint.get("stopped", {}))
    return (
        isinstance(identity, dict)
        and store.identity_differs(current_identity(identity)) is None
        and states | stopped >= set(position)
        and states <= set(position)
    )


def _last_rung_stored(search):
    """The last rung whose pruned rows are stored (its index), or None."""
    rungs = rung_resources(search.halving)
    reached = [
        int(row.get(Col.EPOCHS_TRAINED))
        for row in search.reused.values()
        if row.get(Col.STATUS) == Status.PRUNED and row.get(Col.EPOCHS_TRAINED) in rungs
    ]
    return rungs.index(max(reached)) if reached else None


def make_rungs(search, candidates, states=None, resource=0):
    """The training of a halving search: networks in live fused runs, or ``partial_fit``."""
    options = search.options
    if search.network:
        from parsearch.nets.rungs import NetworkRungs

        return NetworkRungs(
            search.base, candidates, search.data, search.metric, engine=options.engine,
            states=states, resource=resource,
        )  # fmt: skip
    from parsearch.execute.partial import PartialRungs

    return PartialRungs(
        search.base, candidates, search.data, search.metric, seed=search.halving_seed,
        n_jobs=options.n_jobs, backend=options.backend, client=options.client, states=states,
        resource=resource,
    )  # fmt: skip


def run_halving(search, todo, bar):
    """Train the configurations rung by rung; yield the rows of those that stop.

    Parameters
    ----------
    search : parsearch.search.setup.Search
        A planned search with ``halving`` (and ``halving_resume``, maybe).
    todo : list of (int, dict)
        The configurations to train (those no stored row finishes).
    bar : tqdm.tqdm
        The progress bar (model-epochs trained; the rung and survivors in its postfix).

    Yields
    ------
    list of parsearch.execute.tasks.Outcome
        The configurations stopped at a rung; at the last rung, the survivors.
    """
    halving, resume = search.halving, search.halving_resume
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
    trainer = make_rungs(search, todo, states, resource)
    candidates = search.meta["halving"]["candidates"]
    unit = "epoch" if search.network else "pass"
    for k in range(start, len(rungs)):
        candidates.append(len(trainer.live))
        bar.set_postfix_str(
            f"rung {k + 1}/{len(rungs)} to {rungs[k]} {unit}{'s' if rungs[k] > 1 else ''}: "
            f"{len(trainer.live)} training",
            refresh=True,
        )
        trainer.train_to(rungs[k], bar.update)
        if k == len(rungs) - 1:
            yield trainer.finish()
            return
        stopped = _decide(trainer, halving.factor, search.metric.greater_is_better)
        trainer.repack()
        if search.store:
            size = search.store.write_checkpoint(_checkpoint(search, k, trainer, stopped))
            search.meta["halving"].setdefault("checkpoint_bytes", []).append(size)
            search.store.write_meta(search.meta)
        yield stopped


def _decide(trainer, factor, greater_is_better):
    """Stop the configurations that do not go on from this rung; their outcomes."""
    scores = trainer.rung_scores()
    keep = survivors(scores, factor, greater_is_better)
    unscored = {i for i, s in scores if not math.isfinite(s)}
    losers = {i for i, _ in scores} - keep - unscored
    return trainer.stop(unscored, pruned=False) + trainer.stop(losers, pruned=True)


def _checkpoint(search, rung, trainer, stopped):
    """What goes on from ``rung``: the survivors' states and the rows stopped there."""
    keys = search.keys
    return {
        "version": CHECKPOINT_VERSION,
        "identity": search.identity,
        "rung": rung,
        "candidates": list(search.meta["halving"]["candidates"]),
        "stopped": {keys[o.index]: o.row for o in stopped},
        "states": {keys[i]: state for i, state in trainer.states().items()},
    }


def _stored(index, row):
    """A stopped row from the checkpoint, as an outcome to store."""
    return Outcome(index=index, row=dict(row))
