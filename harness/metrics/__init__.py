"""Metrics, one file per family: accuracy.py, safety.py, pii.py, rag.py (task kind qa),
sql.py, sql_safety.py (sql), perf.py (latency and cost, every kind); spec.py: what a metric is
and the table of them (re-exported by harness.registry). Families are discovered: the first read
of the table imports every module here (spec.discover), so a new family is its file alone."""
