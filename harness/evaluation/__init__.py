"""Evaluation: scoring, statistics and power, latency and costs, the judge, the decision and its reports."""
