"""The torch side: ``MLPClassifier``, the fused trainer, its matrix products and devices.

Nothing here imports torch until a network is built or trained.
"""

from parsearch.nets.mlp import MLPClassifier

__all__ = ["MLPClassifier"]
