"""Reelwright's engine: media I/O, the project document, detection, restoration and jobs.

Nothing in this package imports Qt; the GUI in ``app`` is a thin layer over it.
"""

__version__ = "0.1.0"
