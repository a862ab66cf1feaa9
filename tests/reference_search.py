"""scikit-learn's own GridSearchCV on parsearch's train/validation split, to compare with."""

import numpy as np
from sklearn.model_selection import GridSearchCV, PredefinedSplit


def grid_search_cv(estimator, grid, X, y, Xv, yv, **kwargs):
    """``GridSearchCV`` fitted on ``X`` then scored on ``Xv``: the split ``fit_grid`` uses.

    Returns
    -------
    sklearn.model_selection.GridSearchCV
        Fitted, ``refit=False``; ``kwargs`` go to its constructor.
    """
    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    return GridSearchCV(estimator, grid, cv=split, refit=False, **kwargs).fit(
        np.vstack([X, Xv]), np.r_[y, yv]
    )
