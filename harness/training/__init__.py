"""Training: packing, fitting prompts, the LoRA / full training loop, checkpoints, post-training checks."""
