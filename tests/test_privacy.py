"""Nothing leaks: no patient value in any log record, no file written, caches per session,
and the Streamlit settings that keep data on the machine.

Sentinels are planted in the hostile corpus (patient ``SENTINEL-PT-7731``, LDH
``987.654321``) and in a file made to produce errors about that patient; every log record
at DEBUG, from the root logger and Streamlit's, must be free of them.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile import base as B  # noqa: E402
from hostile.case import csv_base  # noqa: E402
from hostile.make_corpus import by_name, corpus  # noqa: E402
from hostile.runner import load_case  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SENTINELS = (B.SENTINEL_ID, B.SENTINEL_VALUE)
UI_SOURCES = sorted([ROOT / "app.py", *(ROOT / "ui").glob("*.py"),
                     *(ROOT / "app_pages").glob("*.py"), *(ROOT / "pages").glob("*.py")])


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        self.texts.append(text)


@contextlib.contextmanager
def all_logs_at_debug() -> Iterator[_Capture]:
    """Every logger at DEBUG into one capture (root, and loggers that do not propagate)."""
    capture = _Capture()
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        if lg is logging.getLogger() or not lg.propagate:
            lg.addHandler(capture)
    try:
        yield capture
    finally:
        for lg, level in saved:
            lg.setLevel(level)
            lg.removeHandler(capture)


def _leaks(texts: list[str]) -> list[str]:
    return [t[:300] for t in texts if any(s in t for s in SENTINELS)]


def _error_file() -> bytes:
    """Errors about the sentinel patient: an impossible UPCR and a conflicting duplicate."""
    rows = B.long_rows()
    rows[1]["upcr"] = 999
    rows.append(dict(rows[2], upcr=0.9))
    return csv_base(rows).encode()


# ----------------------------------------------------------------------------- logs
def test_core_logs_no_patient_value(capfd):
    from core.analyses.run import run_analyses
    from core.ingest.load import load_cohort
    from core.model.settings import Filters, Settings

    analysed = ("semicolon_decimal_comma", "xlsx_workbook", "dates_iso", "wide_form")
    with all_logs_at_debug() as logs:
        for case in corpus():
            if B.SENTINEL_ID.encode() not in case.data:
                continue
            cohort, _ = load_case(case)
            if case.name in analysed:
                run_analyses(cohort, Settings(), Filters())
        bad = load_cohort(_error_file(), "cohort.csv")
        dropped = load_cohort(_error_file(), "cohort.csv", drop_invalid=True)
        run_analyses(dropped, Settings(), Filters())
    assert any(B.SENTINEL_ID in i.message for i in bad.report.errors), "sentinel not exercised"
    assert logs.texts is not None and _leaks(logs.texts) == []
    out, err = capfd.readouterr()
    assert not any(s in out + err for s in SENTINELS)


def _app_session(tmp_path: Path, monkeypatch) -> tuple[Path, Path, Path]:
    """cwd, HOME and TMPDIR pointed at fresh empty folders for an in-process app session."""
    import tempfile

    dirs = tuple(tmp_path / n for n in ("cwd", "home", "tmp"))
    for d in dirs:
        d.mkdir()
    monkeypatch.chdir(dirs[0])
    monkeypatch.setenv("HOME", str(dirs[1]))
    monkeypatch.setenv("TMPDIR", str(dirs[2]))
    monkeypatch.setattr(tempfile, "tempdir", str(dirs[2]))
    return dirs


def _files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("name", ["semicolon_decimal_comma", "xlsx_workbook", "impossible_upcr"])
def test_app_session_writes_no_file_and_logs_no_value(name, tmp_path, monkeypatch, capfd):
    from streamlit.testing.v1 import AppTest

    cwd, home, tmp = _app_session(tmp_path, monkeypatch)
    case = by_name(name)
    with all_logs_at_debug() as logs:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        at.file_uploader(key="cohort_file").upload(case.filename, case.data,
                                                   "application/octet-stream").run()
        confirm = [b for b in at.button if b.key == "confirm_mapping"]
        if confirm:
            confirm[0].click().run()
        for page in ("cohort", "response", "labs", "ttr", "report"):
            at.switch_page(f"app_pages/{page}.py").run()
            assert not at.exception, [e.value for e in at.exception]
    assert _leaks(logs.texts) == []
    out, err = capfd.readouterr()
    assert not any(s in out + err for s in SENTINELS), "a patient value reached stdout/stderr"
    assert _files_under(cwd) == [] and _files_under(home) == [] and _files_under(tmp) == []


# ----------------------------------------------------------------------------- static checks
def _module_dicts(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level ``NAME = dict(...)`` / ``{...}`` assignments, for ``**NAME`` arguments."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Call | ast.Dict):
                found[target.id] = node.value
    return found


def _kwargs(call: ast.Call, dicts: dict[str, ast.AST]) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for kw in call.keywords:
        if kw.arg is not None:
            out[kw.arg] = kw.value
            continue
        src = dicts.get(kw.value.id) if isinstance(kw.value, ast.Name) else None
        if isinstance(src, ast.Call):
            out.update({k.arg: k.value for k in src.keywords if k.arg})
        elif isinstance(src, ast.Dict):
            out.update({k.value: v for k, v in zip(src.keys, src.values, strict=True)
                        if isinstance(k, ast.Constant)})
        else:
            out["**unresolved"] = kw.value
    return out


def _cache_calls() -> list[tuple[str, ast.Call, dict[str, ast.AST]]]:
    calls = []
    for path in UI_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        dicts = _module_dicts(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "cache_data":
                calls.append((f"{path.name}:{node.lineno}", node, _kwargs(node, dicts)))
    return calls


def test_every_cache_is_per_session_bounded_and_in_memory():
    calls = _cache_calls()
    assert calls, "no st.cache_data found in the UI code"
    for where, _, kw in calls:
        assert "**unresolved" not in kw, f"{where}: cannot read the cache options"
        scope = kw.get("scope")
        assert isinstance(scope, ast.Constant) and scope.value == "session", where
        assert "ttl" in kw and "max_entries" in kw, where
        persist = kw.get("persist")
        assert persist is None or (isinstance(persist, ast.Constant) and not persist.value), where


def test_cache_data_is_never_used_bare():
    """``@st.cache_data`` without a call would be global, unbounded and eternal."""
    for path in UI_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for dec in node.decorator_list:
                    bare = isinstance(dec, ast.Attribute) and dec.attr == "cache_data"
                    assert not bare, f"{path.name}:{dec.lineno} bare @st.cache_data"


def test_ui_code_never_prints_or_logs_tracebacks():
    """A traceback carries the values it failed on; the UI logs exception types only."""
    pattern = re.compile(r"print_exc|print_exception|format_exc|\bprint\(|\.exception\(|"
                         r"exc_info\s*=\s*True|stack_info\s*=\s*True")
    hits = []
    for path in UI_SOURCES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line.split("#")[0]):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == []


def test_app_never_writes_files():
    """No open(..., 'w'), to_csv(path), write_bytes/write_text in the UI code."""
    pattern = re.compile(r"open\([^)]*['\"][wax]b?['\"]|\.write_(bytes|text)\(|"
                         r"\.to_(csv|excel|parquet)\(\s*['\"/A-Za-z_]|persist\s*=\s*['\"]disk")
    hits = [f"{p.relative_to(ROOT)}:{n}"
            for p in UI_SOURCES
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
            if pattern.search(line)]
    assert hits == []


def test_streamlit_config_keeps_data_on_the_machine():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["browser"].get("serverAddress")
    assert config["server"].get("address")
    assert config["client"]["showErrorDetails"] == "none"
    assert config["logger"]["level"] in ("warning", "error")
    assert config["server"].get("fileWatcherType", "auto") == "none"


def test_deployment_points_tmpdir_at_memory_and_copies_no_data():
    script = (ROOT / "deploy" / "install.sh").read_text(encoding="utf-8")
    assert "TMPDIR" in script and "/dev/shm" in script
    assert "--exclude=tests" in script and "--exclude=.venv" in script


def test_environment_does_not_switch_usage_stats_back_on():
    assert os.environ.get("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false").lower() != "true"
