"""Metric families: accuracy.py (QA), safety.py (probes), perf.py (latency and cost)."""
