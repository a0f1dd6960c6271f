"""Shared fixtures: the validation cohort copied into tests/reference (never edited)."""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder of the validation cohort files and the R reference results."""
    return REFERENCE_DIR
