"""`harness synth`: training pairs generated from a knowledge base or a SQLite schema."""
