"""Load and latency benchmarks that drive the real app as browsers do: see ``python -m bench --help`` and
docs/benchmarks.md."""
