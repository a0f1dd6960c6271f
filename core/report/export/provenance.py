"""``provenance.json``: how a report was made. The file name and its SHA-256, never content."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from core.model.schema import SourceInfo
from core.model.settings import Filters, Settings
from core.report.export.methods import software_versions


def _plain(value: Any) -> Any:
    """Dataclasses and tuples as JSON-friendly dicts and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def provenance(
    source: SourceInfo,
    mapping: Mapping | None,
    filters: Filters,
    settings: Settings,
    app_version: str | None = None,
    n_dropped: int = 0,
    created: datetime | None = None,
) -> dict:
    """A JSON-serialisable record of the run.

    Keys: ``source`` (name, sha256, form, size_bytes: no data), ``mapping`` (the contract §3
    mapping or null), ``filters``, ``settings``, ``n_dropped`` (invalid values set to
    missing), ``app_version``, ``software`` (python and package versions) and
    ``created_utc`` (ISO 8601, UTC, seconds).
    """
    versions = software_versions()
    when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "source": _plain(source),
        "mapping": _plain(mapping) if mapping else None,
        "filters": _plain(filters),
        "settings": _plain(settings),
        "n_dropped": int(n_dropped),
        "app_version": app_version or versions["app"],
        "software": versions,
        "created_utc": when.isoformat().replace("+00:00", "Z"),
    }


def provenance_json(record: Mapping) -> str:
    """The record as indented UTF-8 JSON text (non-ASCII kept readable)."""
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
