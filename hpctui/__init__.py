"""hpctui: a terminal UI that gets Dask running on HPC batch systems, and shows why it doesn't."""

__version__ = "0.1.0"
