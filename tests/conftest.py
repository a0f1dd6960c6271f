"""Shared fixtures: the validation cohort copied into tests/reference (never edited)."""

from __future__ import annotations

import os
from pathlib import Path

# An unexpected exception inside an analysis fails the test instead of becoming a note
# (core.analyses.run.STRICT); data conditions still become notes.
os.environ["LN_STRICT_ANALYSES"] = "1"

import pytest

REFERENCE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Folder of the validation cohort files and the R reference results."""
    return REFERENCE_DIR
