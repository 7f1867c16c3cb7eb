"""Benchmarks: `make bench` runs every ``bench/bench_*.py`` script (see ``__main__``)."""
