"""One file per strategy, `strategies/<type>.py` (see harness.strategy.Strategy and
strategies/base.py); harness.registry discovers every module here but `base`."""
