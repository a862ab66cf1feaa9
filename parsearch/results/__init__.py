"""Results folders: ``scores.csv`` row by row, ``meta.json``, the resume identity, reading back."""
