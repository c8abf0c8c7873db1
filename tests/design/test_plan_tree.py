"""Plan files: the KPI tree and its checks."""

from __future__ import annotations

import pytest

from kaname.design.plan import PlanError, load_plan
from kaname.metrics.catalog import builtin_catalog

KNOWN = set(builtin_catalog().ids)
BASE = """
name: t
kgi: {kpi: revenue, target: 100000000, period: FY2026}
kpis:
  - kpi: leads
    targets: {"2026-04": 100}
  - kpi: mqls
    targets: {"2026-04": 40}
  - kpi: sqls
    targets: {"2026-04": 70}
tree:
"""


def plan(tree: str):  # type: ignore[no-untyped-def]
    return load_plan(BASE + tree, "plan.yaml")


def test_a_good_tree_walks_from_the_kgi() -> None:
    p = plan(
        "  - {kpi: revenue, relation: product, children: [deals, average_deal_size]}\n"
        "  - {kpi: deals, relation: ratio, children: [revenue, average_deal_size]}\n"
    )
    with pytest.raises(PlanError, match="a cycle: revenue → deals → revenue"):
        p.check_tree(KNOWN)
    p = plan(
        "  - {kpi: revenue, relation: product, children: [deals, average_deal_size]}\n"
        "  - {kpi: deals, relation: product, children: [opportunities, win_rate]}\n"
    )
    p.check_tree(KNOWN)
    assert p.walk() == [
        (0, "revenue"),
        (1, "deals"),
        (2, "opportunities"),
        (2, "win_rate"),
        (1, "average_deal_size"),
    ]


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (
            "  - {kpi: revenue, relation: product, children: [deals, salez]}\n",
            "'salez' is not a KPI",
        ),
        ("  - {kpi: revenue, relation: ratio, children: [deals]}\n", "exactly two children"),
        ("  - {kpi: revenue, relation: formula, children: [deals]}\n", "no formula"),
        (
            "  - {kpi: deals, relation: product, children: [opportunities, win_rate]}\n",
            "KGI revenue must be the root",
        ),
        (
            "  - {kpi: revenue, relation: product, children: [deals, average_deal_size]}\n"
            "  - {kpi: leads, relation: sum, children: [mqls, sqls]}\n",
            "cannot be reached",
        ),
        (
            "  - {kpi: revenue, relation: product, children: [deals]}\n"
            "  - {kpi: revenue, relation: sum, children: [deals]}\n",
            "two edges",
        ),
    ],
)
def test_bad_trees_are_explained(tree: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan(tree).check_tree(KNOWN)


def test_a_sum_whose_children_do_not_add_up() -> None:
    p = plan(
        "  - {kpi: revenue, relation: product, children: [leads]}\n"
        "  - {kpi: leads, relation: sum, children: [mqls, sqls]}\n"
    )
    with pytest.raises(
        PlanError,
        match="leads is the sum of mqls, sqls, but in 2026-04 its "
        "target 100 differs from theirs \\(110\\)",
    ):
        p.check_sums()


def test_bad_yaml_and_bad_fields_name_the_place() -> None:
    with pytest.raises(PlanError, match=r"plan\.yaml is not valid YAML"):
        load_plan("name: [unclosed", "plan.yaml")
    with pytest.raises(PlanError, match=r"plan\.yaml: line 13: assumptions\.win_rate"):
        load_plan(BASE + "  []\nassumptions: {win_rate: -0.2}\n", "plan.yaml")


def test_errors_carry_line_numbers() -> None:
    text = (
        "name: x\nkgi: {kpi: revenue, target: 1, period: FY2026}\nassumptions:\n"
        "  win_rate: 1.4\nkpis:\n  - kpi: leads\n    level: team\n"
    )
    with pytest.raises(PlanError) as caught:
        load_plan(text, "plan.yaml")
    message = str(caught.value)
    assert "line 7: kpis.0.level" in message
    assert "line 4: assumptions.win_rate" in message
