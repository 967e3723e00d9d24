"""Peer methods and instances for the grouping benchmark (``benchmarks/grouping.py``).

Each method runs in its own interpreter through ``benchmarks/peers/run_one.py``: k-means-constrained
loads OR-Tools, whose bundled HiGHS clashes with ``highspy`` inside one process.
"""
