"""Lupus-nephritis cohort analysis: pure Python core (no Streamlit).

Data flow: bytes -> ``read_table`` -> ``apply_mapping`` -> ``validate`` -> ``Cohort``
-> ``filter_cohort`` -> outcomes -> analyses -> figures / exports.
"""

__version__ = "0.1.0"
