"""Three groups in the app (AppTest): the order is set on the Data page, saved in the
mapping, followed by the tables, and every page runs without an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from groups_cohort import ORDERS, groups_csv, groups_mapping
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["cohort", "response", "labs", "ttr", "long_term", "report"]
TIMEOUT = 180


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _upload(at: AppTest, key: str, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=key).upload(name, data, "application/octet-stream")
    return at.run()


def _groups_shown(at: AppTest) -> list[str]:
    for df in at.dataframe:
        t = df.value
        if {"group", "n_evaluable"} <= set(t.columns):
            return [g for g in dict.fromkeys(t["group"].astype(str)) if g != "All"]
    raise AssertionError("no response table on the page")


@pytest.fixture(scope="module")
def three_groups() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    return _upload(at, "cohort_file", "three_groups.csv", groups_csv(3))


def test_the_group_order_set_on_the_data_page_is_saved_in_the_mapping_and_followed(
    three_groups: AppTest,
) -> None:
    at = three_groups
    _clean(at)
    at.switch_page("app_pages/response.py").run()
    assert _groups_shown(at) == ["refractory", "new-onset", "relapse"]  # no order: the rule
    at.switch_page("app_pages/data.py").run()
    key = next(k for k in at.session_state if str(k).startswith("group_order_pick"))
    at.multiselect(key=key).set_value(["relapse", "new-onset"]).run()  # refractory follows
    at.button(key="group_order_apply").click().run()
    _clean(at)
    source = at.session_state["source"]
    assert list(source.mapping["values"]["group"].values()) == list(ORDERS[3])
    assert at.session_state["cohort"].groups == list(ORDERS[3])
    at.switch_page("app_pages/response.py").run()
    _clean(at)
    assert _groups_shown(at) == list(ORDERS[3])
    assert at.sidebar.selectbox(key="ref").value == "relapse"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_three_groups_in_the_mapping_order(page: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at = _upload(at, "mapping_file", "three.mapping.json",
                 json.dumps(groups_mapping(3)).encode())
    at = _upload(at, "cohort_file", "three_groups.csv", groups_csv(3))
    _clean(at)
    assert at.session_state["cohort"].groups == list(ORDERS[3])
    at.switch_page(f"app_pages/{page}.py").run()
    _clean(at)
    assert any(c.value.endswith("n = 90") for c in at.caption)
    if page == "response":
        assert _groups_shown(at) == list(ORDERS[3])
