"""The analyses: one module per family, the registry that lists them, and the run."""
