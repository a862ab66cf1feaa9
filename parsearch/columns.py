"""Names of the result columns shared by the table, ``scores.csv`` and the plots.

A results table has one column per grid parameter (named as in the grid), followed by
the result columns below. Everything that reads or writes a table uses these names.
"""

SCORE = "score"
STATUS = "status"
ERROR = "error"
FIT_SECONDS = "fit_seconds"
METRIC = "metric"
DIRECTION = "direction"
SCORE_STD = "score_std"
TRAIN_LOSS = "train_loss"
EPOCH_SCORES = "epoch_scores"
KEY = "config_key"

#: Status of a configuration whose fit and scoring succeeded.
OK = "ok"
#: Status of a configuration whose fit or scoring raised an exception.
FAILED = "failed"
#: Status of a network whose training loss became NaN or infinite.
DIVERGED = "diverged"

HIGHER = "higher_is_better"
LOWER = "lower_is_better"

#: Result columns, in the order they follow the parameter columns.
RESULT_COLUMNS = (
    SCORE,
    STATUS,
    ERROR,
    FIT_SECONDS,
    METRIC,
    DIRECTION,
    SCORE_STD,
    TRAIN_LOSS,
    EPOCH_SCORES,
    KEY,
)


def param_columns(columns):
    """Return the parameter columns of a results table, in order.

    Parameters
    ----------
    columns : iterable of str
        Column names of a results table or ``scores.csv``.

    Returns
    -------
    list of str
        The names that are not result columns.
    """
    return [c for c in columns if c not in RESULT_COLUMNS]
