"""Sweeps: the trial objective, Optuna studies and storage, what a sweep found."""
