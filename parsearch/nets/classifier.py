"""What the two torch classifiers share as scikit-learn estimators: predictions from
their outputs, and their tags.

:class:`NetClassifierMixin` gives :class:`~parsearch.nets.mlp.MLPClassifier` and
:class:`~parsearch.torchnet.estimator.TorchClassifier` ``predict`` and ``predict_proba``
from the one method each writes, ``_outputs(X, proba)``. No torch here.
"""

from __future__ import annotations


class NetClassifierMixin:
    """``predict`` and ``predict_proba`` from a network's outputs; deterministic tags.

    A subclass defines ``_outputs(X, proba)``: the class probabilities (``proba=True``)
    or the index of the most likely class of each sample (``proba=False``), checking
    first that it is fitted and that ``X`` is what ``fit`` took.
    """

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Inputs of the shape ``fit`` took.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._outputs(X, proba=True)

    def predict(self, X):
        """Predicted class labels (the argmax of the network's outputs).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Inputs of the shape ``fit`` took.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        indices = self._outputs(X, proba=False)  # checks first that the model is fitted
        return self.classes_[indices]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False  # the seed fixes the weights and the batch order
        return tags
