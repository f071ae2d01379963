"""Running benchmarks: peer comparisons (suites, speed runs and composition live in
``unibench.reporting`` for now)."""
