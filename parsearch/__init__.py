"""parsearch: parallel hyperparameter grid search scored on a validation set.

The public names are imported lazily so that ``import parsearch`` stays cheap and
does not import torch, matplotlib or dask until they are used.
"""

__version__ = "0.1.0"

__all__ = [
    "GridResult",
    "GridSearchCV",
    "Halving",
    "MLPClassifier",
    "RandomizedSearchCV",
    "TorchClassifier",
    "fit_grid",
    "load_mnist",
    "load_results",
    "sample_space",
]

_LAZY = {
    "fit_grid": "parsearch.search",
    "GridResult": "parsearch.search",
    "GridSearchCV": "parsearch.search.sklearn_api",
    "RandomizedSearchCV": "parsearch.search.sklearn_api",
    "Halving": "parsearch.halving",
    "MLPClassifier": "parsearch.nets.mlp",
    "TorchClassifier": "parsearch.torchnet.estimator",
    "load_mnist": "parsearch.datasets.mnist",
    "load_results": "parsearch.search.load",
    "sample_space": "parsearch.space",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'parsearch' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
