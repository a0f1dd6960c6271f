"""What keeps the dashboard fast: a page builds only its own figures, the report still gets
every figure in the command line's order, and only the bundled demo is shared between
sessions (an upload never is).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.analyses.run import run_analyses
from core.ingest.load import load_path
from core.model.results import FigureKey
from core.model.settings import Filters, Settings
from core.report.figures import PAGES, build_figures
from ui import cache
from ui.state import make_source

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference"


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Calls of build_figures (their sections) and of the shared demo caches."""
    import core.report.figures

    calls: dict[str, list] = {"sections": [], "demo_analyses": [], "demo_figures": []}
    build = core.report.figures.build_figures

    def build_recorded(*args, **kw):
        calls["sections"].append(tuple(kw.get("pages") or PAGES))
        return build(*args, **kw)

    monkeypatch.setattr(core.report.figures, "build_figures", build_recorded)
    for name in ("demo_analyses", "demo_figures"):
        shared = getattr(cache, name)

        def shared_recorded(*args, _name=name, _shared=shared, **kw):
            calls[_name].append(args[0])
            return _shared(*args, **kw)

        monkeypatch.setattr(cache, name, shared_recorded)
    return calls


def test_a_page_builds_only_its_own_figures_and_an_upload_is_not_shared(recorded) -> None:
    at = _app()
    at.file_uploader(key="cohort_file").upload(
        "cohort_long.csv", (REF / "cohort_long.csv").read_bytes(), "text/csv"
    )
    at.run()
    at.switch_page("app_pages/ttr.py").run()
    # A filter no other test uses, so nothing comes from a cache.
    at.sidebar.multiselect(key="class").set_value(["III", "V"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert recorded["sections"] and set(recorded["sections"]) == {("ttr",)}
    charts = {c.key for c in at.get("plotly_chart")}  # the ttr page: its own charts only
    assert charts == {"fig_ttr_curve", "fig_cif_curve", "fig_rmst", "fig_schoenfeld"}
    assert recorded["demo_analyses"] == [] and recorded["demo_figures"] == []


def test_the_demo_uses_the_shared_cache(recorded) -> None:
    at = _app()
    at.switch_page("app_pages/response.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Demo" in " ".join(m.value for m in at.sidebar.markdown)
    assert recorded["demo_analyses"] and recorded["demo_figures"]
    assert all("|" in key for key in recorded["demo_figures"])


def test_only_the_bundled_demo_file_as_shipped_is_shared() -> None:
    demo = cache.demo_source()
    assert demo is not None and cache.shared_demo(demo)
    data = demo.data
    # The same bytes uploaded by a user, other bytes claiming to be the demo, and the demo
    # with study codes or dropped columns (session-specific) are never shared.
    assert not cache.shared_demo(make_source(data, demo.name))
    assert not cache.shared_demo(make_source(data + b"\n", demo.name, demo=True))
    assert not cache.shared_demo(make_source(data, demo.name, demo=True, pseudonymise=True))
    assert not cache.shared_demo(make_source(data, demo.name, demo=True, drop_columns=("name",)))
    assert not cache.shared_demo(None)


def test_the_sections_together_are_every_figure_in_order() -> None:
    """``View.figures`` (the report's) is the union of the per-page sections: the same
    names in the same order as one ``build_figures`` call, as the command line makes."""
    cohort = load_path(REF / "cohort_long.csv")
    run = run_analyses(cohort, Settings(), Filters())
    whole = build_figures(run)
    merged: dict = {}
    for page in PAGES:
        merged |= build_figures(run, pages=[page])
    assert list(merged) == list(whole)
    assert len(whole) > 20
    for name in ("flow", "response_rates", "ttr_curve", "dsdna_shift"):
        key = FigureKey(name)
        assert merged[key].to_json() == whole[key].to_json()


def test_every_global_cache_is_a_demo_cache() -> None:
    """A cache without ``scope="session"`` serves every session: only the ``demo_*``
    caches of ui/cache.py may be global (and they admit the bundled demo only, above)."""
    import ast

    found = []
    for path in sorted((ROOT / "ui").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        options = {  # module-level ``_CACHE = dict(...)`` passed as ``**_CACHE``
            n.targets[0].id: {k.arg: k.value for k in n.value.keywords}
            for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
            and isinstance(n.value, ast.Call)
        }  # fmt: skip
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for dec in node.decorator_list:
                call = dec if isinstance(dec, ast.Call) else None
                func = call.func if call else dec
                if isinstance(func, ast.Attribute) and func.attr in (
                    "cache_data",
                    "cache_resource",
                ):
                    kw = {}
                    for k in call.keywords if call else []:
                        spread = options.get(getattr(k.value, "id", ""), {})
                        kw |= {k.arg: k.value} if k.arg else spread
                    scope = kw.get("scope")
                    per_session = isinstance(scope, ast.Constant) and scope.value == "session"
                    assert "ttl" in kw and "max_entries" in kw, f"{path.name}:{node.name}"
                    if not per_session:
                        found.append(f"{path.name}:{node.name}")
    assert found == ["cache.py:demo_analyses", "cache.py:demo_figures"]


def test_a_page_computes_only_its_own_analyses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Time-to-response page asks the run for the registry's ttr analyses only; a filter
    change recomputes those, not the other pages'."""
    import core.analyses.run
    from core.analyses.registry import analyses_of_page

    asked: list = []
    real = core.analyses.run.run_analyses

    def recorded(*args, **kw):
        asked.append(kw.get("only"))
        return real(*args, **kw)

    monkeypatch.setattr(core.analyses.run, "run_analyses", recorded)
    at = _app()
    at.file_uploader(key="cohort_file").upload(
        "cohort_long.csv", (REF / "cohort_long.csv").read_bytes(), "text/csv"
    )
    at.run()
    at.switch_page("app_pages/ttr.py").run()
    at.sidebar.multiselect(key="class").set_value(["III+V", "IV"]).run()
    assert not at.exception, [e.value for e in at.exception]
    ttr = tuple(a.name for a in analyses_of_page("ttr"))
    assert asked and set(asked) == {ttr}
