"""Command-line front ends: ``validate`` and ``report``."""
