"""Small modules of the course lesson's kinds, for the module engine's tests (importable
by a subprocess, so that a killed search can be resumed in another process)."""

import torch
from torch import nn


class LogReg(nn.Module):
    """The lesson's logistic regression: its own ``nn.Parameter``s and a forward by hand."""

    def __init__(self, n_in=196, n_out=10):
        super().__init__()
        self.l1_w = nn.Parameter(torch.randn(n_in, n_out) / n_in)
        self.l1_b = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = x @ self.l1_w + self.l1_b
        return torch.log(torch.exp(x) / torch.exp(x).sum(dim=1)[:, None])


def mlp(n_in=196, hidden=16):
    """The lesson's one-hidden-layer ``nn.Sequential`` net."""
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, 10), nn.LogSoftmax(dim=1)
    )


def cnn(channels=4):
    """A small CNN for (n, 1, 14, 14) images: conv, ReLU, max-pool, linear (logits)."""
    return nn.Sequential(
        nn.Conv2d(1, channels, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(channels * 6 * 6, 10),
    )  # fmt: skip


def batchnorm(n_in=196, hidden=16):
    """Linear (no bias: BatchNorm cancels it), BatchNorm, ReLU, linear, log-softmax."""
    return nn.Sequential(
        nn.Linear(n_in, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
        nn.Linear(hidden, 10), nn.LogSoftmax(dim=1),
    )  # fmt: skip


def dropout(n_in=196, hidden=16):
    """Draws random numbers in training: vmap cannot fuse it."""
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(0.25), nn.Linear(hidden, 10),
        nn.LogSoftmax(dim=1),
    )  # fmt: skip


class Branching(nn.Module):
    """Branches in Python on a tensor's value (``.item()``): vmap cannot run it."""

    def __init__(self, n_in=196):
        super().__init__()
        self.linear = nn.Linear(n_in, 10)

    def forward(self, x):
        out = self.linear(x)
        if out.abs().max().item() > 1e6:
            out = out / 2
        return torch.log_softmax(out, dim=1)


def tiny(n_out=10):
    """Any number of features (a lazy layer), for scikit-learn's estimator checks."""
    return nn.Sequential(nn.Flatten(), nn.LazyLinear(n_out), nn.LogSoftmax(dim=1))
