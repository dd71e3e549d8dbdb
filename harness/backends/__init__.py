"""Model backends (see `base.ModelBackend`)."""
