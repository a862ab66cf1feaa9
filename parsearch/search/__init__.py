"""``fit_grid`` and its result."""

from parsearch.search.fit import GridResult, fit_grid

__all__ = ["GridResult", "fit_grid"]
