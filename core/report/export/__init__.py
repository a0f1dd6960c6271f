"""Everything that leaves the app as a file.

- :mod:`~core.report.export.safe`: formula-safe CSV/XLSX at full precision (``safe_cell``,
  ``table_to_csv_bytes``, ``table_to_xlsx_bytes``, ``tables_to_xlsx_bytes``).
- :mod:`~core.report.export.display`: rounding for reading (``format_p``, ``format_pct``,
  ``round_for_display``).
- :mod:`~core.report.export.docx_tables`: four three-line journal tables (``journal_tables_docx``).
- :mod:`~core.report.export.html_report`: one standalone interactive page (``report_html``).
- :mod:`~core.report.export.methods`: ``methods_text``; :mod:`~core.report.export.provenance`:
  ``provenance``; :mod:`~core.report.export.reproduce`: ``reproduce_script``, ``table_snippet``.
- :mod:`~core.report.export.bundle`: ``write_report`` (folder, optional ZIP) and ``bundle_zip``
  (in memory).
"""

from core.report.export.bundle import WrittenReport, bundle_zip, report_files, write_report
from core.report.export.display import format_num, format_p, format_pct, round_for_display
from core.report.export.docx_tables import journal_tables_docx
from core.report.export.html_report import report_html
from core.report.export.methods import methods_text, software_versions
from core.report.export.provenance import provenance, provenance_json
from core.report.export.reproduce import reproduce_script, table_snippet
from core.report.export.safe import (
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
