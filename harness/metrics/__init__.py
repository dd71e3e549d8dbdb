"""Metrics, one file per family: accuracy.py, safety.py, pii.py, rag.py (task kind qa),
sql.py, sql_safety.py (sql), perf.py (latency and cost, every kind); spec.py: what a metric is
and the table of them (re-exported by harness.registry, which imports the family files)."""
