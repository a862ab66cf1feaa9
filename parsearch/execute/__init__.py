"""Run a plan's jobs: here (fused chunks, joblib) or on a Dask cluster; one task per job."""

from parsearch.execute.local import execute

__all__ = ["execute"]
