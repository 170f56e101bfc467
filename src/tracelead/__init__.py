"""tracelead: diagnose, develop and evaluate collective leadership with the TRACE model."""

__version__ = "0.1.0"
