"""A fused grid's models in training, saved after their epochs, so a killed search goes on.

Rows of a fused chunk are stored when the whole chunk has trained; a search killed
(SIGKILL, Ctrl-C in a notebook) in the middle of a chunk would train it again from its
first epoch. :class:`ChunkCheckpoint` keeps, in the results folder, the state of every
model of the chunk in training (weights, optimizer buffers, steps, curves so far; per
fold), after an epoch at most every :data:`SAVE_EVERY_SECONDS`; a rerun with
``resume=True`` rebuilds the chunk from it (the engine's ``resume``) and trains only the
epochs that were not saved. Batch orders come from the seed per epoch, so the table ends
bit for bit as an uninterrupted run's would.

The file is ``fused.checkpoint.npz``: a JSON header and numpy arrays, no pickle (see
``parsearch.results.files.write_arrays_atomic``). Models are keyed by their grid slot
(``config_key`` and occurrence, ``parsearch.rows.slot_keys``), the file
holds the identity of the search, and anything that does not fit (another search, a
chunk cut otherwise, an unreadable file) is ignored: those models train from the start.
Only chunks that run in this process are saved (not those of a Dask cluster).
"""

from __future__ import annotations

import time

from parsearch.fused.live import ModelState
from parsearch.results.files import FUSED_CHECKPOINT
from parsearch.results.identity import current_identity

#: Saved at the end of an epoch when at least this long has passed since the last save
#: (or the chunk's start): a grid of short epochs pays for no writes, a long one loses at
#: most this much work.
SAVE_EVERY_SECONDS = 10.0
VERSION = 1


class ChunkCheckpoint:
    """Where the models of a search's fused chunks are saved while they train.

    Parameters
    ----------
    store : parsearch.results.store.ResultStore
        The results folder.
    slots : list of str
        Each grid position's slot key.
    identity : dict
        The search's resume identity.
    engine : str
        The name of the engine whose models are saved (a checkpoint of another engine's
        is not used).
    resume : bool
        Whether to go on from a checkpoint left by an earlier run.
    """

    def __init__(self, store, slots, identity, engine, resume=True):
        self.store, self.slots, self.identity, self.engine = store, slots, identity, engine
        self._earlier = self._read() if resume else {}
        self._last_save = time.monotonic()

    def _read(self):
        """Slot -> list (per fold) of (epoch, record, name, arrays) from an earlier run."""
        read = self.store.read_checkpoint(FUSED_CHECKPOINT)
        if read is None:
            return {}
        header, arrays = read
        identity = header.get("identity")
        if (
            header.get("version") != VERSION
            or header.get("engine") != self.engine
            or not isinstance(identity, dict)
            or self.store.identity_differs(current_identity(identity)) is not None
            or not isinstance(header.get("models"), dict)
        ):
            return {}
        try:
            return {
                slot: [
                    (int(f["epoch"]), f["state"], f"{slot}/{k}", arrays) for k, f in enumerate(fs)
                ]
                for slot, fs in header["models"].items()
            }
        except (KeyError, TypeError, ValueError):
            return {}

    def start(self):
        """A chunk starts training: its first save waits :data:`SAVE_EVERY_SECONDS`."""
        self._last_save = time.monotonic()

    def saved(self, indices, n_folds, epochs):
        """The saved states of a chunk's models, if they can go on from them.

        Parameters
        ----------
        indices : tuple of int
            The chunk's grid positions.
        n_folds : int
            Its folds.
        epochs : int
            The epochs its models train for.

        Returns
        -------
        list of (int, list of ModelState) or None
            Per fold saved so far: the epoch and each model's state (in the chunk's
            order); None when some model has none, or the models were saved apart (at
            other epochs).
        """
        entries = [self._earlier.get(self.slots[i]) for i in indices]
        if not entries or any(e is None or len(e) > n_folds for e in entries):
            return None
        folds = []
        for fold in range(min(len(e) for e in entries)):
            saved_at = {e[fold][0] for e in entries}
            if len(saved_at) != 1 or not all(len(e) == len(entries[0]) for e in entries):
                return None
            if not 1 <= next(iter(saved_at)) <= epochs:
                return None
            try:
                states = [ModelState.from_record(*e[fold][1:]) for e in entries]
            except (KeyError, TypeError, ValueError):
                return None
            folds.append((saved_at.pop(), states))
        return folds

    def due(self):
        """Whether the time has come to save (see :data:`SAVE_EVERY_SECONDS`)."""
        return time.monotonic() - self._last_save >= SAVE_EVERY_SECONDS

    def save(self, indices, folds):
        """Replace the file with this chunk's models.

        Parameters
        ----------
        indices : tuple of int
            The chunk's grid positions.
        folds : list of (int, list of ModelState)
            Per fold trained or in training: the epoch and each model's state.
        """
        arrays, models = {}, {}
        for k, i in enumerate(indices):
            slot = self.slots[i]
            models[slot] = [
                {"epoch": epoch, "state": states[k].to_record(f"{slot}/{f}", arrays)}
                for f, (epoch, states) in enumerate(folds)
            ]
        header = {
            "version": VERSION,
            "engine": self.engine,
            "identity": self.identity,
            "models": models,
        }
        self.store.write_checkpoint(header, arrays, FUSED_CHECKPOINT)
        self._last_save = time.monotonic()

    def remove(self):
        """Remove the file: every row is stored."""
        self.store.remove_checkpoint(FUSED_CHECKPOINT)
