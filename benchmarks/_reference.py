"""What the benchmarks compare against, shared by ``bench_fused.py``, its presets and
``bench_halving.py``.

The reference side of every comparison: the network's shape and batch (``N_IN``,
``N_OUT``, ``BATCH_SIZE``, ``MOMENTUM``), a preset's data (``load_data``), a device made
ready untimed (``start``) and waited for (``sync``), the plain PyTorch loop
(``train_one``, and ``joblib_task`` for one joblib worker), and the depth-1 network as
skorch trains it (``make_skorch_module``, ``make_setup_callback``). The child processes and
the printed machine are ``_common``'s; the roofline is ``_roofline``'s.
"""

from __future__ import annotations

import _common as c

#: A network's input and output sizes (MNIST), and the batch size every approach trains with.
N_IN, N_OUT = 784, 10
BATCH_SIZE = 64


def start(torch, device: str | None, threads: int | None):
    """Untimed: torch's threads pinned on the CPU; on CUDA, the context and cuBLAS made ready."""
    dev = torch.device(device or "cpu")
    if dev.type == "cpu":
        if threads:
            torch.set_num_threads(threads)
    else:
        a = torch.ones(64, 64, device=dev)
        (a @ a).sum().item()
    return dev


def sync(torch, dev) -> None:
    """Wait for a CUDA device's queued work (a device name or ``torch.device``); else nothing."""
    dev = torch.device(dev)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def make_skorch_module(nn, init=None):
    """The depth-1 network as a module class for skorch (returns logits).

    ``init(linears, width)``, where given, sets the initial weights of the two layers
    (``bench_halving`` gives every network ``MLPClassifier(seed=0)``'s).
    """

    class MLP(nn.Module):
        def __init__(self, width=32):
            super().__init__()
            self.hidden = nn.Linear(N_IN, width)
            self.relu = nn.ReLU()
            self.out = nn.Linear(width, N_OUT)
            if init is not None:
                init([self.hidden, self.out], width)

        def forward(self, X):
            return self.out(self.relu(self.hidden(X)))

    return MLP


MOMENTUM = 0.9


def load_data(p):
    import numpy as np

    X_train, y_train, X_val, y_val = c.mnist_split(p.n_train, p.n_val)
    perm = np.random.default_rng(0).permutation(p.n_train)  # the one pre-shuffle
    return X_train[perm], y_train[perm], X_val, y_val


def train_one(lr, width, X_train, y_train, X_val, y_val, epochs, batch_size=BATCH_SIZE):
    """Train one depth-1 MLP on tensors; return its final validation accuracy and more.

    Runs on the tensors' device; the only host syncs are one ``.item()`` per epoch (the
    validation accuracy) and one at the end (the last training loss).
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(N_IN, width), nn.ReLU(), nn.Linear(width, N_OUT), nn.LogSoftmax(dim=1)
    ).to(X_train.device)  # initialised on the CPU: the same weights on every device
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    n = X_train.shape[0]
    epoch_scores = []
    loss = torch.tensor(float("nan"))
    for _ in range(epochs):
        for i in range(0, n, batch_size):
            loss = F.nll_loss(model(X_train[i : i + batch_size]), y_train[i : i + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred = model(X_val).argmax(dim=1)
        epoch_scores.append((pred == y_val).float().mean().item())
    return {"lr": lr, "width": width, "score": epoch_scores[-1], "train_loss": loss.item()}


def joblib_task(lr, width, X_train, y_train, X_val, y_val, epochs):
    """One joblib task: one configuration on one torch thread, from numpy arrays."""
    import numpy as np
    import torch

    torch.set_num_threads(1)  # 2 workers x 1 thread on 2 cores: never more threads than cores
    # joblib hands large arrays over as read-only memmaps: copy into tensors
    t = [torch.tensor(np.asarray(a)) for a in (X_train, y_train, X_val, y_val)]
    out = train_one(lr, width, *t, epochs)
    out["threads"] = torch.get_num_threads()
    return out


def best_of(rows: list[dict]) -> dict:
    best = max(rows, key=lambda r: r["score"])
    return {"best_score": best["score"], "best_params": {"lr": best["lr"], "width": best["width"]}}


def make_setup_callback(Callback, torch):
    """A skorch callback that pins 1 torch thread and seeds before the module is built.

    skorch initialises callbacks before the module, so seeding here gives every grid point
    the same initial weights as ``train_one`` (both draw Linear(784, w) then Linear(w, 10)
    right after ``torch.manual_seed(0)``).
    """

    class OneThreadSeed0(Callback):
        def initialize(self):
            torch.set_num_threads(1)
            torch.manual_seed(0)
            return self

    return OneThreadSeed0
