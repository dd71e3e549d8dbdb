"""Data: dataset loading, knowledge bases, embeddings, retrieval and vector stores, prompts, SQL."""
