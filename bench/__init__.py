"""Benchmarks: optimized implementations against their anchors (python -m bench.run)."""
