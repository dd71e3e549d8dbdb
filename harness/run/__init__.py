"""A run: the runner, the store and its typed reader, cache, resume, journal, progress, seeds, the Strategy protocol."""
