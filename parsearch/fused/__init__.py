"""The fused-run lifecycle every engine shares (``parsearch.engine``), apart from any layout.

``live.py`` (a run that trains on to any epoch, freezes diverged models, scores each model
after every epoch, gives models out as states and takes them back), ``chunk.py`` (a job of
an engine: every fold's run, each model's row and fitted estimator) and ``rungs.py``
(halving inside live runs). Nothing here imports torch: the engine's models do the math.
"""
