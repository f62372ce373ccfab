"""The version of schoolperf, in one place."""

__version__ = "0.1.0"
