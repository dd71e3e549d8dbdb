"""harness: decide between prompt engineering, RAG, LoRA and RAG+LoRA with real measurements."""

__version__ = "0.1.0"
