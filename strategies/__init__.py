"""One file per strategy: prompt, rag, lora, hybrid (see harness.strategy.Strategy)."""
