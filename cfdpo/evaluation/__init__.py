"""Evaluation statistics and comparisons: Wilson intervals, exact McNemar tests on per-program verdicts."""
