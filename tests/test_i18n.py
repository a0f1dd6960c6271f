"""Korean and English interface (core.model.i18n, ui.language, the gettext catalogues).

- the catalogues: every msgid has a Korean msgstr with the same placeholders, and Babel's
  extraction (babel.cfg, run here) finds exactly the catalogue's msgids: a new ``_()`` string
  without its Korean fails;
- the converted files pass no bare English literal to a Streamlit element;
- each converted page (AppTest, demo cohort) in Korean shows no English msgid whose Korean
  differs, and in English shows no Hangul; the language follows the link, the browser and the
  sidebar selector, and is kept in the URL;
- the CLI's ``--lang``; the Korean-font check and a Korean PNG drawn with glyphs, not boxes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from core.model import i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "core" / "model" / "locales"
HANGUL = re.compile("[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")

# The files converted to the catalogue; their Streamlit elements get no bare English literal.
CONVERTED = [
    "app.py",
    "app_pages/response.py",
    "app_pages/labs.py",
    "app_pages/ttr.py",
    "app_pages/long_term.py",
    "app_pages/report.py",
    "ui/view.py",
    "ui/widgets.py",
    "ui/report.py",
    "ui/audit.py",
    "ui/columns.py",
    "ui/language.py",
    "ui/session.py",
    "app_pages/cohort.py",
    "ui/baseline.py",
    "ui/group_order.py",
    "ui/privacy.py",
    "ui/cache.py",
    "ui/state.py",
    "app_pages/data.py",
    "ui/loader.py",
    "ui/sidebar.py",
    "ui/mapping_table.py",
    "ui/shared_link.py",
]
CONVERTED_PAGES = ["cohort", "response", "labs", "ttr", "long_term", "report"]
# Result notes and the methods text are checked too (core, round 3); every ui module is
# converted (i18n2, i18n3a).
PENDING_MODULES: tuple[str, ...] = ()


def _po(lang: str):
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _extracted() -> set[str]:
    """The msgids Babel extracts from the sources with the project's babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {
        msg if isinstance(msg, str) else msg[0]
        for _file, _line, msg, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map
        )
    }


# --- the catalogues -----------------------------------------------------------------------


def test_every_msgid_has_a_korean_msgstr_with_the_same_placeholders() -> None:
    cat = _po("ko")
    entries = [m for m in cat if m.id]
    assert len(entries) > 250
    empty = [m.id for m in entries if not m.string or not str(m.string).strip()]
    assert not empty, f"msgids without Korean: {empty}"
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not fuzzy, f"fuzzy Korean entries (check and clear the flag): {fuzzy}"
    wrong = [
        m.id
        for m in entries
        if sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))
    ]
    assert not wrong, f"placeholders differ in: {wrong}"


def test_english_catalogue_is_the_source_language() -> None:
    """English msgstr are empty (the msgid is shown) or English, never Korean."""
    korean = [m.id for m in _po("en") if m.id and HANGUL.search(str(m.string))]
    assert not korean, korean


def test_extraction_finds_exactly_the_catalogue() -> None:
    found = _extracted()
    assert "Renal response" in found and "Patient flow" in found  # a page string, a registry title
    for lang in i18n.LANGUAGES:
        ids = {m.id for m in _po(lang) if m.id}
        missing, stale = found - ids, ids - found
        assert not missing, f"{lang}: run `make messages` and translate: {sorted(missing)}"
        assert not stale, f"{lang}: no longer in the code (`make messages`): {sorted(stale)}"


def test_registry_titles_are_translated_at_display_time() -> None:
    from core.analyses.registry import FIGURES, TABLES

    ko = i18n.catalogue("ko")
    for spec in TABLES.values():
        assert HANGUL.search(ko[spec.title]), spec.title
    for _page, ref in FIGURES.values():
        assert HANGUL.search(ko[ref.title]), ref.title


def _bare_literals(path: Path) -> list[str]:
    """Plain English literals given to a Streamlit element (``st.x("…")``, ``label=``,
    ``help=``, ``text=``) or a download button label, instead of ``_("…")``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []

    def english(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return bool(re.search(r"[A-Za-z]{2,}", node.value.replace(":material/", "")))
        if isinstance(node, ast.JoinedStr):
            return any(english(v) for v in node.values if isinstance(v, ast.Constant))
        if isinstance(node, ast.List):
            return any(english(e) for e in node.elts)
        return False

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        streamlit = (
            isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "st"
        ) or (isinstance(f, ast.Name) and f.id == "Download")
        attr = getattr(f, "attr", None)
        if not streamlit or attr in ("Page", "set_page_config", "get_option", "switch_page"):
            continue  # page files, options: not text
        args = list(node.args[:1] if attr != "page_link" else []) + [
            k.value for k in node.keywords if k.arg in ("label", "help", "text", "placeholder")
        ]
        bad += [f"{path.name}:{a.lineno}" for a in args if english(a)]
    return bad


def test_converted_files_pass_no_bare_english_to_the_screen() -> None:
    found = [hit for name in CONVERTED for hit in _bare_literals(ROOT / name)]
    assert not found, f"wrap these in _(): {found}"
    # the check itself sees a bare literal
    probe = ROOT / "tests" / "_i18n_probe.py"
    try:
        probe.write_text('import streamlit as st\nst.header("Response rates")\n', encoding="utf-8")
        assert _bare_literals(probe) == ["_i18n_probe.py:2"]
    finally:
        probe.unlink()


# --- the module ---------------------------------------------------------------------------


def test_gettext_normalise_and_use() -> None:
    assert i18n.normalise("ko-KR") == i18n.normalise("ko_KR.UTF-8") == "ko"
    assert i18n.normalise("en-GB") == "en" and i18n.normalise("fr") is None
    assert i18n.gettext("Renal response", "ko") == "신장 반응"
    assert i18n.gettext("Renal response", "en") == "Renal response"
    assert i18n.gettext("not a message", "ko") == "not a message"
    before = i18n.language()
    with i18n.use("ko"):
        assert i18n.gettext("Complete cases (n)") == "완전 자료 (n)"
    assert i18n.language() == before


# --- the pages ----------------------------------------------------------------------------


def _texts(at) -> list[str]:
    """What the page's own elements say: titles, headers, captions, markdown, alerts, tabs,
    expanders, buttons and download buttons (the sidebar's are left to ui/sidebar.py)."""
    out = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning",
                 "error", "success"):  # fmt: skip
        out += [str(e.value) for e in at.main.get(kind)]
    for kind in ("tab", "expander", "button", "download_button", "selectbox", "checkbox"):
        out += [str(e.label) for e in at.main.get(kind)]
    return out


def _page(page: str, lang: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _param(at) -> str:
    """The URL's ``lang`` (AppTest keeps one value as a string, several as a list)."""
    value = at.query_params["lang"]
    return value if isinstance(value, str) else value[-1]


def _english_fragments() -> list[str]:
    """Literal pieces (two words or more) of the msgids whose Korean differs."""
    ko = i18n.catalogue("ko")
    pieces = set()
    for msgid, text in ko.items():
        if text == msgid:
            continue
        for piece in PLACEHOLDER.split(msgid):
            piece = piece.strip(" .,:;()'—-")
            if len(piece.split()) >= 2:
                pieces.add(piece)
    return sorted(pieces)


@pytest.mark.slow
@pytest.mark.parametrize("page", CONVERTED_PAGES)
def test_korean_page_shows_no_english_interface_text(page: str) -> None:
    at = _page(page, "ko")
    assert at.session_state["lang"] == "ko" and _param(at) == "ko"
    texts = _texts(at)  # the filter summary line included (core.model.filters.filter_summary)
    assert any(HANGUL.search(t) for t in at.main.title[0].value)
    ko = i18n.catalogue("ko")
    whole = [t for t in texts if t in ko and ko[t] != t]
    assert not whole, whole
    left = sorted({f for t in texts for f in _left_in_english(t)})
    assert not left, f"English interface text on the Korean {page} page: {left}"


@pytest.mark.slow
@pytest.mark.parametrize("page", CONVERTED_PAGES)
def test_english_page_shows_no_korean(page: str) -> None:
    at = _page(page, "en")
    hangul = [t for t in _texts(at) if HANGUL.search(t)]
    assert not hangul, hangul
    assert at.main.title[0].value == i18n.gettext(at.main.title[0].value, "en")


@pytest.mark.slow
def test_language_follows_browser_then_selector_and_lives_in_the_url(monkeypatch) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui.state import Key

    monkeypatch.setattr(type(st.context), "locale", property(lambda self: "ko-KR"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert at.session_state[Key.LANG] == "ko" and _param(at) == "ko"
    at.switch_page("app_pages/response.py").run()
    assert at.main.title[0].value == "신장 반응"
    at.sidebar.selectbox(key=Key.LANG).select("en").run()
    assert at.main.title[0].value == "Renal response"
    assert _param(at) == "en"
    # a link with lang=en wins over a Korean browser
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = "en"
    at.run()
    assert at.session_state[Key.LANG] == "en"


def _loaded(lang: str, page: str = "data"):
    """The app in ``lang`` with the validation cohort uploaded on the Data page (loaded: every
    column is recognised), then on ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("app_pages/data.py").run()
    data = (ROOT / "tests" / "reference" / "cohort_long.csv").read_bytes()
    at.file_uploader(key="cohort_file").upload("cohort_long.csv", data, "text/csv").run()
    if page != "data":
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["source"].name == "cohort_long.csv"
    return at


def _data_texts(at) -> list[str]:
    """The Data page's own text: :func:`_texts`, the metrics, and the column labels of its
    tables (the mapping editor, the validation report, the previews) and their help."""
    import json

    out = _texts(at) + [str(m.label) for m in at.main.get("metric")]
    for frame in [*at.dataframe, *at.data_editor]:
        for conf in json.loads(frame.proto.columns or "{}").values():
            out += [conf.get(k) for k in ("label", "help") if conf.get(k)]
            opts = (conf.get("type_config") or {}).get("options") or []
            out += [o["label"] for o in opts if isinstance(o, dict) and o.get("label")]
    return out


def _sidebar_texts(at) -> tuple[list[str], list[str]]:
    """The sidebar's labels, help, placeholders, headings, captions and expanders; and the
    options its choices show (they hold the cohort's own values too: group names)."""
    texts, options = [], []
    for kind in ("selectbox", "multiselect", "radio", "number_input", "checkbox", "toggle",
                 "slider", "select_slider", "text_input", "expander"):  # fmt: skip
        for e in at.sidebar.get(kind):
            texts.append(str(e.label))
            help_ = getattr(e, "help", None)
            texts += [help_] if help_ else []
            placeholder = getattr(e.proto, "placeholder", "")
            texts += [placeholder] if placeholder else []
            if kind in ("selectbox", "multiselect", "radio"):
                options += [str(o) for o in e.options]
    for kind in ("subheader", "caption", "markdown"):
        texts += [str(e.value) for e in at.sidebar.get(kind)]
    return texts, options


def _english_left(texts: list[str], pending: tuple[str, ...] = ()) -> list[str]:
    """English interface fragments in ``texts``, less those of the ``pending`` modules."""
    source = " ".join((ROOT / m).read_text(encoding="utf-8") for m in pending)
    source = re.sub(r'"\s+"', "", source)  # implicit concatenation: one string
    fragments = [f for f in _english_fragments() if f not in source]
    return sorted({f for t in texts for f in fragments if f in t})


@pytest.mark.slow
def test_korean_data_page_and_sidebar_with_a_file_loaded() -> None:
    at = _loaded("ko")
    assert at.main.title[0].value == "데이터"
    texts = _data_texts(at)
    assert "열 매핑" in texts and "파일의 열" in texts and "검증 보고" in " ".join(texts)
    ko = i18n.catalogue("ko")
    whole = [t for t in texts if t in ko and ko[t] != t]
    assert not whole, whole
    left = _english_left(texts, PENDING_MODULES)
    assert not left, f"English interface text on the Korean Data page: {left}"
    # the mapping editor shows the status in Korean, the table data keeps the machine word
    shown = at.data_editor[0].value
    assert set(shown["status"]) == {"인식됨"}
    # the sidebar: labels, help, headings and the options that are words
    texts, options = _sidebar_texts(at)
    assert "필터" in texts and "분석 설정" in texts and "반응 기준" in texts
    assert {"여성", "남성", "완전관해", "연구자 기록"} <= set(options), options
    whole = [t for t in texts + options if t in ko and ko[t] != t]
    assert not whole, whole
    left = _english_left(texts + options)
    assert not left, f"English interface text in the Korean sidebar: {left}"


@pytest.mark.slow
def test_english_data_page_and_sidebar_show_no_korean() -> None:
    at = _loaded("en")
    texts, options = _sidebar_texts(at)
    hangul = [t for t in _data_texts(at) + texts if HANGUL.search(t)]
    assert not hangul, hangul
    assert "Filters" in texts and "Female" in options
    assert set(at.data_editor[0].value["status"]) == {"matched"}


@pytest.mark.slow
def test_a_language_switch_writes_the_url_bound_settings_in_the_new_language() -> None:
    """A bound selectbox keeps its *shown* label in the URL: after a switch the link must carry
    the new language's labels, or the setting is lost when the link is opened (ui.language)."""
    from streamlit.testing.v1 import AppTest

    from ui.state import Key

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in {"lang": "en", "source": "demo", Key.MISSING: "Last response carried forward",
                       Key.SEXES: "Female"}.items():  # fmt: skip
        at.query_params[key] = value
    at.run()
    assert at.session_state[Key.MISSING] == "locf" and at.session_state[Key.SEXES] == ["F"]
    at.sidebar.selectbox(key=Key.LANG).select("ko").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params[Key.MISSING] == "마지막 반응 이월 (LOCF)"
    assert at.query_params[Key.SEXES] in ("여성", ["여성"])
    # that link, opened in a new session, restores the settings
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key in ("lang", "source", Key.MISSING, Key.SEXES):
        again.query_params[key] = at.query_params[key]
    again.run()
    assert again.session_state[Key.MISSING] == "locf" and again.session_state[Key.SEXES] == ["F"]


# --- the command line ---------------------------------------------------------------------


def test_cli_lang_ko(tmp_path: Path, capsys) -> None:
    from core.__main__ import main

    long = str(ROOT / "tests" / "reference" / "cohort_long.csv")
    assert main(["report", long, "--tables-only", "--lang", "ko", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "표을(를)" in out and "썼습니다" in out, out
    assert i18n.language() == "en"  # the command's language does not leak
    assert main(["report", long, "--tables-only", "--out", str(tmp_path)]) == 0
    assert "tables written to" in capsys.readouterr().out


# --- Korean font for image export ---------------------------------------------------------


def test_font_warning_when_korean_is_needed_and_no_font(monkeypatch) -> None:
    from core.report import fonts

    monkeypatch.setattr(fonts, "korean_fonts", lambda: ())
    assert fonts.korean_font_warning(["불응군", "relapse"], "en")
    assert fonts.korean_font_warning(["refractory"], "ko")
    assert fonts.korean_font_warning(["refractory"], "en") is None
    with i18n.use("ko"):
        assert "한글 글꼴" in fonts.korean_font_warning(["불응군"])
    monkeypatch.setattr(fonts, "korean_fonts", lambda: ("NanumGothic",))
    assert fonts.korean_font_warning(["불응군"], "ko") is None


def test_fc_list_reports_the_installed_korean_font() -> None:
    from core.report import fonts

    fonts.korean_fonts.cache_clear()
    if not fonts.korean_font_available():
        pytest.fail("no Korean font (fc-list :lang=ko): run deploy/install.sh --system")
    assert all(f.strip() for f in fonts.korean_fonts())  # family names (fonts-nanum: NanumGothic…)


@pytest.mark.slow
def test_korean_png_draws_glyphs_not_boxes() -> None:
    """With no Korean font every Hangul syllable is the same empty box, so two different
    Korean group names would give the same PNG; with one they differ, and both differ from
    the figure without text."""
    import plotly.graph_objects as go

    from core.report import images

    if not images.images_available():
        pytest.skip("no Chromium for kaleido")

    def png(name: str) -> bytes:
        fig = go.Figure(go.Bar(x=[name], y=[3]))
        fig.update_layout(width=300, height=200, margin=dict(l=10, r=10, t=10, b=40),
                          xaxis=dict(tickfont=dict(size=28)))  # fmt: skip
        return images.to_png(fig, scale=1)

    first, second, blank = png("불응군"), png("재발군"), png(" ")
    assert first != blank and second != blank
    assert first != second, "Korean text rendered as identical boxes: no Korean font"


def test_cli_warns_when_korean_figures_have_no_font(tmp_path: Path, capsys, monkeypatch) -> None:
    """The wiring of the CLI's warning: figures drawn, Korean asked for, no Korean font (the
    figures and the writing are replaced here: their own tests cover them)."""
    from types import SimpleNamespace

    import core.report.export as export
    import core.report.figures as figures
    from core.__main__ import main
    from core.report import fonts
    from core.report.export import imaging

    monkeypatch.setattr(fonts, "korean_fonts", lambda: ())
    monkeypatch.setattr(imaging, "images_available", lambda: True)
    monkeypatch.setattr(figures, "build_figures", lambda run: {})
    monkeypatch.setattr(export, "write_report", lambda *a, **k: SimpleNamespace(notes=[]))
    long = str(ROOT / "tests" / "reference" / "cohort_long.csv")
    assert main(["report", long, "--lang", "ko", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("경고:") and "fonts-nanum" in err, err
    assert main(["report", long, "--lang", "en", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""  # English groups, English interface: no warning


# --- downloads in the chosen language -------------------------------------------------------


def _report_files(tmp_path: Path, lang: str, monkeypatch) -> dict[str, bytes]:
    """The CLI's report ZIP in ``lang`` (figures left out: their own tests draw them)."""
    import zipfile

    import core.report.figures as figures
    from core.__main__ import main

    monkeypatch.setattr(figures, "build_figures", lambda run, **kw: {})
    long = str(ROOT / "tests" / "reference" / "cohort_long.csv")
    out = tmp_path / lang
    assert main(["report", long, "--lang", lang, "--zip", "--out", str(out)]) == 0
    with zipfile.ZipFile(out / "report.zip") as z:
        return {n: z.read(n) for n in z.namelist()}


def test_cli_lang_ko_writes_korean_xlsx_docx_html_and_readme(tmp_path: Path, monkeypatch) -> None:
    import io
    import re as _re

    from docx import Document
    from openpyxl import load_workbook

    files = _report_files(tmp_path, "ko", monkeypatch)
    ko = i18n.catalogue("ko")
    # README.txt: the head, the context labels and each folder's words in Korean; folders ASCII
    readme = files["README.txt"].decode("utf-8")
    assert readme.startswith("루푸스 신염 코호트 보고서. 폴더와 파일:")
    assert "원본 파일: cohort_long.csv" in readme and "분석한 환자: 90 (" in readme
    assert "\ntables/\n  표: 표마다" in readme and "\nmanuscript/\n" in readme
    assert "Folders and files" not in readme and "Source file" not in readme
    # XLSX: sheets named by the Korean titles, the header block and clinical headers in Korean
    book = load_workbook(io.BytesIO(files["tables/report.xlsx"]))
    assert book.sheetnames[0] == "README" and book.sheetnames[-1] == "values"
    assert ko["Response rates"] in book.sheetnames and "Response rates" not in book.sheetnames
    ws = book[ko["Response rates"]]
    block = {r[0]: r[1] for r in ws.iter_rows(max_row=9, values_only=True) if r[0]}
    assert block["원본 파일"] == "cohort_long.csv" and block["환자 (필터)"] == "전체 환자"
    assert block["설정"].startswith("연구자가 기록한 반응; 랜드마크 시점 6 및 12개월 (± 1개월)")
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "개월")
    assert header[:4] == ("개월", "군", "평가 가능 (n)", "완전관해 (n)"), header
    readme_sheet = [c for r in book["README"].iter_rows(values_only=True) for c in r if c]
    assert "표 이름 (CSV 파일)" in readme_sheet
    assert any(str(c).startswith("읽기 쉽게 반올림한 값") and "NR, 도달하지 않음" in str(c)
               for c in readme_sheet)  # fmt: skip
    assert book["values"]["B2"].value == "month" or book["values"]["A2"].value  # names kept
    # Word: titles, headers, row labels and footnotes in Korean; category levels as words
    doc = Document(io.BytesIO(files["manuscript/tables.docx"]))
    paragraphs = [p.text for p in doc.paragraphs]
    assert "표 1. 기저 특성" in paragraphs and "표 2. 랜드마크 시점별 신장 반응" in paragraphs
    table1 = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert table1[0][0] == "특성" and table1[0][-3].startswith("전체 (n = 90)")
    assert ["  여성", "  남성"] == [r[0] for r in table1 if r[0].strip() in ("여성", "남성")]
    table2 = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert table2[1][0] == "6개월" and table2[3][0] == "완전관해, n (%; 95% 신뢰구간)"
    notes = " ".join(paragraphs)
    assert "사용한 검정:" in notes and "설정: 반응 기준" in notes and "Tests used" not in notes
    # HTML: language, title, headings
    page = files["manuscript/report.html"].decode("utf-8")
    assert '<html lang="ko">' in page and "<h1>루푸스 신염 코호트 보고서" in page
    headings = _re.findall(r"<h2>(.*?)</h2>", page)
    assert "학술지용 표" in headings and "표: 반응률" in headings
    assert not [h for h in headings if h.startswith(("Table:", "Journal"))]


def test_cli_lang_en_writes_no_korean(tmp_path: Path, monkeypatch) -> None:
    import io

    from docx import Document
    from openpyxl import load_workbook

    files = _report_files(tmp_path, "en", monkeypatch)
    assert not HANGUL.search(files["README.txt"].decode("utf-8"))
    book = load_workbook(io.BytesIO(files["tables/report.xlsx"]))
    assert "Response rates" in book.sheetnames
    cells = [c for ws in book for r in ws.iter_rows(values_only=True) for c in r if c]
    assert not [c for c in cells if HANGUL.search(str(c))]
    doc = Document(io.BytesIO(files["manuscript/tables.docx"]))
    words = [p.text for p in doc.paragraphs] + [
        c.text for t in doc.tables for row in t.rows for c in row.cells
    ]
    assert "Table 1. Baseline characteristics" in words and "  Female" in words
    assert not [w for w in words if HANGUL.search(w)]
    assert not HANGUL.search(files["manuscript/report.html"].decode("utf-8"))


def test_summary_line_and_file_names_keep_korean() -> None:
    from core.model.filters import filter_summary
    from core.model.settings import Filters, Settings
    from ui.widgets import file_name, slug

    filters = Filters(classes=("IV", "IV+V"), groups=("불응군",))
    with i18n.use("ko"):
        line = filter_summary(filters, Settings(criteria="kdigo2024"), 56)
    assert line == "분류 IV, IV+V · 군 불응군 · KDIGO 2024 · 완전 자료 분석 · n = 56"
    assert filter_summary(filters, Settings(criteria="kdigo2024"), 56) == (
        "Class IV, IV+V · Group 불응군 · KDIGO 2024 · complete-case · n = 56"
    )
    name = file_name("response_rates", line, "csv")
    assert name == "response_rates__분류-iv-iv+v_군-불응군_kdigo-2024_완전-자료-분석_n56.csv"
    assert slug('a/b\\c:d*e?"f<g>h|i') == "a-b-c-d-e-f-g-h-i"  # only the unsafe characters go
    assert slug("재발군 ../../x") == "재발군-.-.-x" and ".." not in slug("a..b")


def test_the_view_cache_key_carries_the_language() -> None:
    from core.model.settings import Filters, Settings
    from ui.cache import view_key
    from ui.state import make_source

    source = make_source(b"patient_id,group\n1,a\n", "x.csv")
    with i18n.use("ko"):
        korean = view_key(source, Filters(), Settings())
    with i18n.use("en"):
        english = view_key(source, Filters(), Settings())
    assert korean != english and korean.endswith("|ko") and english.endswith("|en")


def _left_in_english(text: str) -> list[str]:
    """The English msgid fragments (:func:`_english_fragments`) in ``text``, except those the
    Korean catalogue keeps as they are (R calls, "p =", "n =")."""
    kept = " ".join(i18n.catalogue("ko").values())
    return sorted({f for f in _english_fragments() if f in text and f not in kept})


def test_cli_lang_ko_methods_notes_and_figures_in_korean(tmp_path: Path, monkeypatch) -> None:
    """``report --lang ko`` (images off: no browser needed): the methods text, every result
    note and every figure's title are Korean, with no English interface text left; the
    same run in English has no Hangul in them."""
    import core.report.figures as figures
    from core.__main__ import main
    from core.report.export import imaging

    built: dict = {}
    build = figures.build_figures

    def keep(run, **kw):
        built.clear()
        built.update(build(run, **kw))
        return built

    monkeypatch.setattr(figures, "build_figures", keep)
    monkeypatch.setattr(imaging, "images_available", lambda: False)
    long = str(ROOT / "tests" / "reference" / "cohort_long.csv")
    assert main(["report", long, "--lang", "ko", "--out", str(tmp_path / "ko")]) == 0
    methods = (tmp_path / "ko" / "methods.md").read_text(encoding="utf-8")
    notes = (tmp_path / "ko" / "notes.txt").read_text(encoding="utf-8").splitlines()
    titles = [str(f.layout.title.text) for f in built.values() if f.layout.title.text]
    assert methods.startswith("# 방법") and "\n# 결과\n" in methods
    assert "완전관해" in methods and "신뢰구간" in methods
    assert len(titles) > 20 and all(HANGUL.search(t) for t in titles), titles
    assert not _left_in_english(methods)
    assert not [(t, _left_in_english(t)) for t in titles if _left_in_english(t)]
    english_notes = [n for n in notes if _left_in_english(n)]
    assert not english_notes, english_notes
    assert all(HANGUL.search(n) for n in notes if not n.startswith("[report] PNG")), [
        n for n in notes if not HANGUL.search(n)
    ]
    assert i18n.language() == "en"

    assert main(["report", long, "--lang", "en", "--out", str(tmp_path / "en")]) == 0
    methods = (tmp_path / "en" / "methods.md").read_text(encoding="utf-8")
    notes = (tmp_path / "en" / "notes.txt").read_text(encoding="utf-8")
    assert methods.startswith("# Methods") and not HANGUL.search(methods)
    assert not HANGUL.search(notes)
    assert not [f.layout.title.text for f in built.values()
                if HANGUL.search(str(f.layout.title.text or ""))]  # fmt: skip


def test_image_renderer_thread_draws_in_the_callers_language() -> None:
    """The kaleido event-loop thread does not inherit the caller's language (a context
    variable): ``_Renderer.submit`` runs each job under the language it was asked in."""
    import asyncio
    import threading

    from core.report import images

    class Fake:
        async def calc_fig(self, fig, opts):
            return i18n.language()

    renderer = object.__new__(images._Renderer)
    renderer._loop = asyncio.new_event_loop()
    renderer._kaleido = Fake()
    thread = threading.Thread(target=renderer._loop.run_forever, daemon=True)
    thread.start()
    try:
        with i18n.use("ko"):
            assert renderer.submit({}, {}).result(timeout=10) == "ko"
        assert renderer.submit({}, {}, "ko").result(timeout=10) == "ko"
        assert renderer.submit({}, {}).result(timeout=10) == "en"
    finally:
        renderer._loop.call_soon_threadsafe(renderer._loop.stop)
        thread.join(timeout=5)


def test_no_function_rebinds_the_translation_function() -> None:
    """``code, _ = ...`` in a module that imports ``gettext as _`` turns every ``_("…")`` of that
    function into a call of the value (patient_events failed so): the name is only ever read."""
    import ast

    found = []
    for path in sorted(ROOT.glob("**/*.py")):
        if {".venv", "tests", "wt"} & set(path.relative_to(ROOT).parts):
            continue
        text = path.read_text(encoding="utf-8")
        if "gettext as _" not in text:
            continue
        for fn in ast.walk(ast.parse(text)):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                found += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(fn)
                          if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)]
    assert not found, found
