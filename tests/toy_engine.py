"""A toy second engine that proves the seam: fused multinomial logistic regression in numpy.

``ToyLogReg`` declares ``ToyEngine`` through ``__parsearch_engine__``; nothing in
``parsearch/`` knows this file exists. A grid of learning rates trains in one run of
``ToyModels`` (every model's weights stacked on a leading axis, one einsum per step),
under the shared ``parsearch.fused.live.LiveRun`` lifecycle. ``ToyLogReg.fit`` is the
plain loop one model would run alone, in the same batch order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from parsearch.fused.live import LiveRun, RunData, batch_orders

#: ``n_models`` of every epoch any ToyModels trained (tests read it to count the work).
TRAINED = []


def _softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


class ToyLogReg(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression trained by minibatch SGD from zero weights."""

    def __init__(self, lr=0.1, epochs=2, batch_size=32, seed=0):
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed

    def __parsearch_engine__(self):
        return ToyEngine()

    def fit(self, X, y):
        """The plain loop of one model alone."""
        X = np.asarray(X, dtype=np.float64)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        C = len(self.classes_)
        W, b = np.zeros((C, X.shape[1])), np.zeros(C)
        eye = np.eye(C)
        with np.errstate(all="ignore"):
            for order in batch_orders(len(X), self.epochs, self.seed):
                for start in range(0, len(X), self.batch_size):
                    idx = order[start : start + self.batch_size]
                    g = (_softmax(X[idx] @ W.T + b) - eye[y_enc[idx]]) / len(idx)
                    W -= self.lr * (g.T @ X[idx])
                    b -= self.lr * g.sum(axis=0)
        self.coef_, self.intercept_, self.n_features_in_ = W, b, X.shape[1]
        return self

    def predict_proba(self, X):
        return _softmax(np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class ToyModels:
    """K logistic regressions stacked; layout: largest learning rate first."""

    def __init__(self, data, lrs, seed, batch_size, weights=None, steps=0):
        K, C, D = len(lrs), data.n_classes, data.X.shape[1]
        self.order = sorted(range(K), key=lambda k: -lrs[k])
        self.data, self.seed, self.batch_size, self.steps = data, seed, batch_size, steps
        self.lr = np.array([lrs[k] for k in self.order], dtype=np.float64)
        self.W, self.b = np.zeros((K, C, D)), np.zeros((K, C))
        for p, k in enumerate(self.order):
            if weights is not None:
                self.W[p], self.b[p] = weights[k]
        self.n_models, self.n_samples = K, data.X.shape[0]

    def training(self):
        return np.errstate(all="ignore")

    def _logits(self, X):
        return np.einsum("kcd,bd->kbc", self.W, X) + self.b[:, None, :]

    def train_epoch(self, order):
        TRAINED.append(self.n_models)
        X, y, eye = self.data.X, self.data.y, np.eye(self.data.n_classes)
        loss = np.zeros(self.n_models)
        for start in range(0, len(X), self.batch_size):
            idx = order[start : start + self.batch_size]
            p = _softmax(self._logits(X[idx]))  # (K, B, C)
            loss -= np.log(p[:, np.arange(len(idx)), y[idx]]).sum(axis=1)
            g = (p - eye[y[idx]]) / len(idx)
            self.W -= self.lr[:, None, None] * np.einsum("kbc,bd->kcd", g, X[idx])
            self.b -= self.lr[:, None] * g.sum(axis=1)
            self.steps += 1
        return loss / len(X)

    def nonfinite_models(self):
        return ~(np.isfinite(self.W).all(axis=(1, 2)) & np.isfinite(self.b).all(axis=1))

    def check_outputs(self, scoring, proba):
        X = self.data.X_val if scoring else self.data.X[: self.batch_size]
        with np.errstate(all="ignore"):
            logits = self._logits(X)
        finite = np.isfinite(logits).all(axis=(1, 2))
        if not scoring:
            return None, finite
        with np.errstate(all="ignore"):
            return (_softmax(logits) if proba else logits.argmax(axis=2)), finite

    def freeze(self, models):
        self.W[models], self.b[models], self.lr[models] = 0, 0, 0

    def weights(self, p):
        return [(self.W[p].copy(), self.b[p].copy())]

    def take(self, p):
        return self.weights(p), {}


@dataclass(frozen=True)
class ToyEngine:
    """The engine of ``ToyLogReg`` (``parsearch.engine.Engine``)."""

    name: str = "toy"
    resource: str = "epochs"
    #: Bytes a run may use (tests lower it to cut chunks).
    budget = 1 << 30

    def group_key(self, params):
        return params["epochs"], params["batch_size"], params["seed"]

    def model_bytes(self, params, n_features, n_classes):
        return 8 * 3 * (n_classes * n_features + n_classes)

    def device(self, params):
        return "cpu"

    def device_budget(self, device):
        return "cpu", type(self).budget

    def epochs(self, params):
        return params["epochs"]

    def prepare(self, base, grid, device, on_workers=False):
        return {"device": "cpu", "matmul": "numpy"}

    def data_key(self, model):
        return "cpu"

    def run_data(self, split, model, score, proba):
        X_val = None if split.X_score is None else np.asarray(split.X_score, dtype=np.float64)
        return RunData(
            np.asarray(split.X_fit, np.float64),
            split.y_fit,
            len(split.classes),
            X_val,
            score,
            proba,
        )

    def start(self, data, models):
        lrs = [m.lr for m in models]
        return LiveRun.start(ToyModels(data, lrs, models[0].seed, models[0].batch_size), data)

    def resume(self, data, models, states, epoch):
        lrs, weights = [m.lr for m in models], [s.layers[0] for s in states]
        toy = ToyModels(data, lrs, models[0].seed, models[0].batch_size, weights, states[0].steps)
        return LiveRun.from_states(toy, data, states, epoch)

    def fitted(self, model, classes, n_features, outcome):
        model.classes_, model.n_features_in_ = classes, n_features
        model.coef_, model.intercept_ = outcome.layers[0]
        return model
