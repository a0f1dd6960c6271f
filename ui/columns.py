"""Screen headers for the contract's column names (core.report.export.headers: English msgids,
shown in the session's language); CSVs keep the names themselves.

Each header's tooltip gives the column name used in the CSV/XLSX, so a reader can match them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.model.i18n import gettext as _
from core.report.export.headers import HEADERS  # the one list of headers, in core


def column_config(frame: pd.DataFrame) -> dict:
    """``st.dataframe`` column configuration: readable headers, CSV names in the tooltip."""
    return {
        col: st.column_config.Column(
            _(HEADERS[col]), help=_("`{column}` in the downloaded table").format(column=col)
        )
        for col in frame.columns
        if col in HEADERS
    }
