"""Parquet files: typed columns turned into the text cells every reader hands on.

Numeric columns also keep their exact values (``Sheet.numbers``) so the loader need not parse
their text back.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from core.ingest.table import Budget, Limits, RawTable, column_text, fail, finish
from core.model.i18n import gettext as _


def read_parquet(data: bytes, limits: Limits, budget: Budget) -> RawTable:
    """A Parquet file's one table; sizes from its metadata, which the decoder enforces."""
    import pyarrow.parquet as pq

    table = RawTable(kind="parquet")
    pf = pq.ParquetFile(io.BytesIO(data))
    md = pf.metadata
    size = sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups))
    if md.num_rows > limits.max_rows or md.num_columns > limits.max_columns:
        return fail(_('The Parquet file has {num_rows} rows and {num_columns} columns; the limits are {max_rows} and {max_columns}.').format(num_rows=f"{md.num_rows:,}", num_columns=f"{md.num_columns:,}", max_rows=f"{limits.max_rows:,}", max_columns=f"{limits.max_columns:,}"), table)
    if size > limits.max_decompressed_bytes:
        return fail(_('The Parquet file unpacks to {size} bytes; the limit is {max_decompressed_bytes}.').format(size=f"{size:,}", max_decompressed_bytes=f"{limits.max_decompressed_bytes:,}"), table)
    if md.num_rows * md.num_columns > limits.max_cells:
        return fail(_('The Parquet file has {value} cells ({num_rows} rows x {num_columns} columns); the limit is {max_cells}.').format(value=f"{md.num_rows * md.num_columns:,}", num_rows=f"{md.num_rows:,}", num_columns=f"{md.num_columns:,}", max_cells=f"{limits.max_cells:,}"), table)
    # one thread: the CPU budget is counted on the calling thread
    arrow = pf.read(use_threads=False)
    budget.check()
    df = arrow.to_pandas(strings_to_categorical=True,  # one Python str per distinct text
                         use_threads=False)
    # header row + text cells in one column-major array: the frame wraps it without a copy
    cells = np.empty((len(df) + 1, df.shape[1]), dtype=object, order="F")
    cells[0, :] = [str(c) for c in df.columns]
    numbers, col = {}, None
    filled = np.ones(cells.shape, dtype=bool)  # the header row: str, always filled
    for j in range(df.shape[1]):
        budget.check()
        col = df.iloc[:, j]
        cells[1:, j] = column_text(col)
        # column_text gives str or None only, so != None is pd.notna, ~3x faster
        filled[1:, j] = cells[1:, j] != None  # noqa: E711 (elementwise)
        if col.dtype.kind in "iuf":
            # + 0.0: -0.0 is written '0', which reads back as 0.0
            x = col.to_numpy(dtype=float, na_value=np.nan) + 0.0
            if not np.isinf(x).any():  # 'inf' is an error the text parser reports
                numbers[j] = x
    grid = pd.DataFrame(cells, copy=False)
    long_text = _long_text(arrow, limits)
    del arrow, df, col  # the typed copies are not needed from here on (memory at scale)
    return finish(table, [(None, grid, 1)], limits, check_cells=long_text, numbers=numbers,
                  filled=filled, budget=budget)


def _long_text(arrow, limits: Limits) -> bool:
    """Whether a Parquet cell may exceed the cell limit (only text can: numbers are short)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for col in arrow.columns:
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            if pa.types.is_floating(col.type) or pa.types.is_integer(col.type) \
                    or pa.types.is_boolean(col.type):
                continue
            return True  # dates, binary, nested: let the full check decide
        longest = pc.max(pc.utf8_length(col)).as_py()
        if longest is not None and longest > limits.max_cell_chars:
            return True
    return False
