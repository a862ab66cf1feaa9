"""How every figure looks, apart from what it shows: constants shared by the drawing
modules and the inline display, without matplotlib."""

#: Resolution of every PNG: ``heatmap.png`` and the figures shown in Jupyter.
DPI = 120
