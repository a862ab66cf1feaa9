"""What the benchmarks compare against, shared by ``bench_fused.py`` and ``bench_halving.py``.

The reference side of every comparison: the network's shape and batch (``N_IN``,
``N_OUT``, ``BATCH_SIZE``), a device made ready untimed (``start``) and waited for
(``sync``), and the depth-1 network as skorch trains it (``make_skorch_module``). The
data, the child processes and the printed machine are ``_common``'s; the roofline is
``_roofline``'s.
"""

from __future__ import annotations

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
