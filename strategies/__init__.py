"""One file per strategy, `strategies/<type>.py` (see harness.run.strategy.Strategy and
strategies/base.py); harness.registry discovers every module here but `base`."""
