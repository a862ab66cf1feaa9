"""Datasets: MNIST, read from IDX files, downloaded once, or the embedded 5k subset."""

from parsearch.datasets.mnist import MNIST, load_mnist

__all__ = ["MNIST", "load_mnist"]
