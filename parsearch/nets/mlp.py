"""A scikit-learn compatible PyTorch classifier for MNIST-sized data.

``MLPClassifier(depth=0)`` is multinomial logistic regression; ``depth=k`` has k
hidden ReLU layers of ``width`` units, a log-softmax output and the negative
log-likelihood loss, as in the fast.ai lesson. Training runs through the fused
trainer with one model, so a grid trained fused gives the same models as fitting
each configuration here (to floating point rounding: the fused products have other
shapes). The module imports torch only to fit or predict: the hyperparameter checks
and names (``parsearch.nets.params``) work without it.
"""

from __future__ import annotations

import warnings
from types import MappingProxyType

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from parsearch._optional import import_optional
from parsearch.nets.classifier import NetClassifierMixin
from parsearch.nets.params import NO_OPS, check_mlp_params


class MLPClassifier(NetClassifierMixin, ClassifierMixin, BaseEstimator):
    """Multilayer perceptron classifier in PyTorch, trained with minibatch SGD or Adam.

    Parameters
    ----------
    width : int, default=100
        Units per hidden layer.
    depth : int, default=1
        Number of hidden ReLU layers; 0 is multinomial logistic regression.
    lr : float, default=0.01
        Learning rate.
    epochs : int, default=3
        Passes over the training data.
    batch_size : int, default=64
        Minibatch size (the last batch of an epoch may be smaller).
    optimizer : {"sgd", "adam"}, default="sgd"
        SGD with momentum, or Adam (betas 0.9, 0.999).
    momentum : float, default=0.9
        Momentum of SGD (ignored by Adam).
    weight_decay : float, default=0.0
        L2 penalty added to the gradient, as in ``torch.optim``.
    device : str, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.
    seed : int, default=0
        Fixes the initial weights and the order of the minibatches.
    dtype : {"float32", "float64"}, default="float32"
        Floating point type of training.

    Attributes
    ----------
    classes_ : ndarray
        Class labels seen in ``fit``.
    layers_ : list of (ndarray, ndarray)
        Weight (out, in) and bias of each layer, input layer first.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    diverged_ : bool
        Whether training diverged: the training loss, the weights or the network's
        outputs (for the validation set where one is scored, as in a fused grid search,
        else for a training batch) became NaN or infinite. Training then stopped and
        the weights were zeroed.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the input features, where ``X`` in ``fit`` was a DataFrame with string
        column names.

    Notes
    -----
    Inputs are checked as scikit-learn's estimators check them
    (``sklearn.utils.validation.validate_data``): ``X`` must be 2-D, finite, real
    (or boolean), with at least one sample and one feature, and in ``predict`` have the
    features seen in ``fit``. Sparse matrices and DataFrames are accepted and made
    dense (the estimator's ``input_tags.sparse`` is True), so a large sparse matrix
    needs the memory of its dense copy.
    """

    #: Grid parameters it ignores in some settings (``parsearch.effects``).
    __parsearch_no_ops__ = NO_OPS

    #: Names users often try, and the parameter they mean (for error messages).
    _param_aliases = MappingProxyType(
        {
            "learning_rate": "lr",
            "hidden_size": "width",
            "hidden": "width",
            "n_hidden": "width",
            "units": "width",
            "layers": "depth",
            "n_layers": "depth",
            "num_layers": "depth",
            "n_epochs": "epochs",
            "max_epochs": "epochs",
            "batch": "batch_size",
            "wd": "weight_decay",
            "l2": "weight_decay",
            "random_state": "seed",
        }
    )

    def __init__(
        self,
        width=100,
        depth=1,
        lr=0.01,
        epochs=3,
        batch_size=64,
        optimizer="sgd",
        momentum=0.9,
        weight_decay=0.0,
        device="auto",
        seed=0,
        dtype="float32",
    ):
        self.width = width
        self.depth = depth
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.device = device
        self.seed = seed
        self.dtype = dtype

    # --- the fused engine (parsearch.nets.engine) ---------------------------------------

    def __parsearch_engine__(self):
        """The fused engine that trains grids of this estimator at once (``MLPEngine``)."""
        from parsearch.nets.engine import MLPEngine

        return MLPEngine()

    def _train_spec(self):
        from parsearch.nets import devices, fused

        torch = import_optional("torch")
        return fused.TrainSpec(
            depth=self.depth,
            epochs=self.epochs,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            seed=self.seed,
            dtype=getattr(torch, self.dtype),
            device=devices.resolve_device(self.device),
        )

    def _hyper(self):
        from parsearch.nets import fused

        return fused.ModelHyper(
            lr=float(self.lr),
            width=int(self.width),
            momentum=float(self.momentum),
            weight_decay=float(self.weight_decay),
        )

    def _check_data(self, X, y="no_validation", reset=True):
        """Validate the data as scikit-learn does, and make ``X`` the array training takes.

        ``X`` becomes a C-contiguous, writeable array of ``dtype`` (sparse matrices and
        DataFrames are accepted and made dense); ``y``, where given, a 1-D array (a
        column vector is raveled with a ``DataConversionWarning``). ``reset=True`` (in
        ``fit``) records ``n_features_in_`` (and ``feature_names_in_``); ``reset=False``
        checks ``X`` against them.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,), only where ``y`` is given
        """
        ndim = getattr(X, "ndim", None)
        if ndim is not None and ndim > 2:
            raise ValueError(
                f"Found array with dim {ndim}. MLPClassifier expected <= 2: X must be 2-D "
                f"(samples x features), got shape {X.shape}; flatten images with "
                "X.reshape(len(X), -1)."
            )
        dtypes = getattr(X, "dtypes", None)  # a DataFrame's columns
        if dtypes is None:
            dtypes = [getattr(X, "dtype", None)]
        if any(getattr(t, "kind", "") in ("m", "M") for t in dtypes):
            raise ValueError(  # as floats they would depend on the unit
                "MLPClassifier: X holds datetimes or timedeltas; convert them to numbers "
                "first (e.g. seconds as floats)."
            )
        out = validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse=("csr", "csc", "coo"),  # others (dok, lil, ...) become CSR
            dtype=self.dtype,
            order="C",
        )
        X, y = out if isinstance(out, tuple) else (out, None)
        if hasattr(X, "toarray"):  # sparse: the fused trainer takes dense arrays
            X = X.toarray()
        elif not X.flags.writeable:  # torch tensors share the array's memory
            X = X.copy()
        return X if y is None else (X, y)

    def _set_fitted(self, classes, n_features, outcome):
        self.classes_ = classes
        self.n_features_in_ = n_features
        self.layers_ = outcome.layers
        self.loss_curve_ = list(outcome.train_loss)
        self.diverged_ = outcome.diverged_epoch is not None
        if self.diverged_:
            warnings.warn(
                f"MLPClassifier(lr={self.lr}, width={self.width}): training diverged "
                f"(the loss, the weights or the outputs became NaN or infinite) in epoch "
                f"{outcome.diverged_epoch} and stopped. Lower the learning rate.",
                RuntimeWarning,
                stacklevel=3,
            )
        return self

    # --- scikit-learn API ----------------------------------------------------------------------

    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs: real numbers or booleans, finite. Sparse matrices are
            made dense.
        y : array-like of shape (n_samples,)
            Class labels (integers, strings, ...; not continuous values). A column
            vector is raveled with a ``DataConversionWarning``.

        Returns
        -------
        self
        """
        from parsearch.nets import fused

        check_mlp_params(self.get_params())
        X, y = self._check_data(X, y, reset=True)
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        (outcome,) = fused.train_fused(
            X, y_enc, [self._hyper()], self._train_spec(), n_classes=len(classes)
        )
        return self._set_fitted(classes, X.shape[1], outcome)

    def _outputs(self, X, proba):
        from parsearch.nets import fused

        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        spec = self._train_spec()
        net = fused.FusedNet(self.n_features_in_, len(self.classes_), [self._hyper()], spec, False)
        net.set_model_layers(0, self.layers_)
        torch = import_optional("torch")
        return fused.predict_outputs(net, torch.from_numpy(X).to(spec.device), proba=proba)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # accepted, and made dense
        return tags
