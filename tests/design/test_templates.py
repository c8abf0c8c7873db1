"""Every plan template loads, solves and lints without errors on the demo company."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kaname.demo import build_demo
from kaname.design.templates import template_names
from kaname.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("templates") / "demo"
    build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20)).close()
    return Workspace.open(root)


def test_the_templates_ship() -> None:
    assert set(template_names()) >= {
        "b2b_saas",
        "it_solutions",
        "manufacturing_distributors",
        "webinar_led",
        "event_led",
        "channel_mix",
        # seed 004's industries
        "real_estate",
        "finance",
        "hr_recruiting",
        "ec_d2c",
    }


@pytest.mark.parametrize("name", template_names())
def test_template_lints_clean(demo: Workspace, name: str, tmp_path: Path) -> None:
    path, plan = demo.new_plan(name, 2026, tmp_path / f"{name}.yaml")
    assert all(item.targets for item in plan.kpis)
    findings = demo.lint_plan(path)
    # Only "far beyond your history" may remain: a template's scale is not the demo company's.
    assert [f for f in findings if f.rule != "SMART-A"] == []
    assert demo.solve_plan(path).volumes[plan.kgi.kpi] == pytest.approx(plan.kgi.target)


def test_unknown_template_lists_the_names(demo: Workspace) -> None:
    from kaname.design.plan import PlanError

    with pytest.raises(PlanError, match="templates: b2b_saas"):
        demo.new_plan("crm", 2026)
