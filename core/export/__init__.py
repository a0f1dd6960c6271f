"""Everything that leaves the app as a file.

- :mod:`~core.export.safe`: formula-safe CSV/XLSX at full precision (``safe_cell``,
  ``table_to_csv_bytes``, ``table_to_xlsx_bytes``, ``tables_to_xlsx_bytes``).
- :mod:`~core.export.display`: rounding for reading (``format_p``, ``format_pct``,
  ``round_for_display``).
- :mod:`~core.export.docx_tables`: four three-line journal tables (``journal_tables_docx``).
- :mod:`~core.export.html_report`: one standalone interactive page (``report_html``).
- :mod:`~core.export.methods`: ``methods_text``; :mod:`~core.export.provenance`:
  ``provenance``; :mod:`~core.export.reproduce`: ``reproduce_script``, ``table_snippet``.
- :mod:`~core.export.bundle`: ``write_report`` (folder, optional ZIP) and ``bundle_zip``
  (in memory).
"""

from core.export.bundle import WrittenReport, bundle_zip, report_files, write_report
from core.export.display import format_num, format_p, format_pct, round_for_display
from core.export.docx_tables import journal_tables_docx
from core.export.html_report import report_html
from core.export.methods import methods_text, software_versions
from core.export.provenance import provenance, provenance_json
from core.export.reproduce import reproduce_script, table_snippet
from core.export.safe import (
    safe_cell,
    safe_frame,
    table_to_csv_bytes,
    table_to_xlsx_bytes,
    tables_to_xlsx_bytes,
)

__all__ = [
    "WrittenReport",
    "bundle_zip",
    "format_num",
    "format_p",
    "format_pct",
    "journal_tables_docx",
    "methods_text",
    "provenance",
    "provenance_json",
    "report_files",
    "report_html",
    "reproduce_script",
    "round_for_display",
    "safe_cell",
    "safe_frame",
    "software_versions",
    "table_snippet",
    "table_to_csv_bytes",
    "table_to_xlsx_bytes",
    "tables_to_xlsx_bytes",
    "write_report",
]
