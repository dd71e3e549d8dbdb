"""Knowledge updates: the `updates:` block, how a strategy absorbs one, its measurement, decision and report."""
