"""A deliberately slow classifier that logs each fit, for the kill-and-resume test.

It lives in its own module so that a child process can import it.
"""

import os
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class SlowLoggingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; each fit sleeps and appends ``c`` to a log file."""

    def __init__(self, c=0, delay=0.2, log_path=None):
        self.c = c
        self.delay = delay
        self.log_path = log_path

    def fit(self, X, y):
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write(f"{self.c}\n")
                f.flush()
                os.fsync(f.fileno())
        time.sleep(self.delay)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)
