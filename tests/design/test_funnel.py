"""The reverse-calculation funnel: the seeds' worked examples and its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaname.design.funnel import (
    Funnel,
    FunnelError,
    allocate,
    allocate_whole,
    months_earlier,
    unit_costs,
)

SEED_003 = {"win_rate": 0.25, "opportunity_rate": 0.5, "sql_rate": 0.2}


def test_seed_000_34_opportunities_at_20_percent_need_170_leads() -> None:
    funnel = Funnel(("opportunities", "leads"), ("lead_to_opportunity_rate",), (0.2,))
    volumes = funnel.volumes("opportunities", 34)
    assert volumes["leads"] == pytest.approx(170)
    # ¥2,000,000 of budget over 170 leads: target CPA ¥11,765 (the seed rounds to 約11,800円).
    assert round(unit_costs(2_000_000, volumes)["target_cpa"]) == 11_765


def test_seed_003_100_deals_at_25_50_20_percent() -> None:
    funnel = Funnel.standard(SEED_003, top="deals", bottom="mqls")
    volumes = funnel.volumes("deals", 100)
    assert volumes == pytest.approx({"deals": 100, "opportunities": 400, "sqls": 800, "mqls": 4000})
    monthly = allocate_whole(100, [1] * 12)
    assert sum(monthly) == 100 and max(monthly) - min(monthly) <= 1


def test_revenue_kgi_to_every_stage_and_cac() -> None:
    rates = {"average_deal_size": 1_000_000, **SEED_003, "mql_rate": 0.4, "cvr": 0.01}
    funnel = Funnel.standard(rates)
    volumes = funnel.volumes("revenue", 100_000_000)
    assert volumes["deals"] == pytest.approx(100)
    assert volumes["leads"] == pytest.approx(10_000)
    assert volumes["sessions"] == pytest.approx(1_000_000)
    costs = unit_costs(50_000_000, volumes)
    assert costs["target_cac"] == pytest.approx(500_000)
    assert costs["target_cpa"] == pytest.approx(5_000)


def test_whatif_shows_the_kgi_from_a_changed_rate() -> None:
    funnel = Funnel.standard({"average_deal_size": 1_000_000, **SEED_003}, bottom="mqls")
    base = funnel.volumes("revenue", 100_000_000)
    better = funnel.whatif("mqls", base["mqls"], {"win_rate": 0.3})
    assert better["revenue"] == pytest.approx(120_000_000)


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"win_rate": 1.5, "opportunity_rate": 0.5, "sql_rate": 0.2}, "at most 1"),
        ({"win_rate": -0.1, "opportunity_rate": 0.5, "sql_rate": 0.2}, "positive"),
        ({"win_rate": 0.25, "sql_rate": 0.2}, "needs opportunity_rate"),
    ],
)
def test_bad_rates_are_named(rates: dict[str, float], message: str) -> None:
    with pytest.raises(FunnelError, match=message):
        Funnel.standard(rates, top="deals", bottom="mqls")


def test_lead_time_in_months() -> None:
    assert months_earlier(45) == 1 and months_earlier(100) == 3 and months_earlier(5) == 0


rate = st.floats(min_value=0.01, max_value=1.0)


@given(
    st.floats(min_value=1, max_value=1e9),
    rate,
    rate,
    rate,
    rate,
    st.floats(min_value=1e4, max_value=1e8),
)
def test_top_down_then_bottom_up_returns_the_kgi(
    kgi: float, win: float, opp: float, sql: float, mql: float, size: float
) -> None:
    funnel = Funnel.standard(
        {
            "average_deal_size": size,
            "win_rate": win,
            "opportunity_rate": opp,
            "sql_rate": sql,
            "mql_rate": mql,
        },
        bottom="leads",
    )
    leads = funnel.volumes("revenue", kgi)["leads"]
    assert funnel.volumes("leads", leads)["revenue"] == pytest.approx(kgi, rel=1e-9)


@given(
    st.floats(min_value=0, max_value=1e9),
    st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=24).filter(
        lambda w: sum(w) > 0
    ),
)
def test_allocation_adds_up(total: float, weights: list[float]) -> None:
    assert sum(allocate(total, weights)) == pytest.approx(total, rel=1e-9, abs=1e-6)


@given(
    st.integers(min_value=0, max_value=100_000),
    st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=24).filter(
        lambda w: sum(w) > 0
    ),
)
def test_whole_allocation_adds_up_exactly(total: int, weights: list[float]) -> None:
    parts = allocate_whole(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)


def test_cost_efficient_allocation_fills_the_cheapest_channels_first() -> None:
    from kaname.design.funnel import allocate_by_cost

    cpa = {"paid_ads": 5_000, "owned_media": 3_750, "event": 6_667}
    got = allocate_by_cost(300, cpa, {"owned_media": 80, "paid_ads": 100})
    assert got == {"owned_media": 80, "paid_ads": 100, "event": 120}
    with pytest.raises(FunnelError, match="20 leads short"):
        allocate_by_cost(200, {"a": 1.0}, {"a": 180})
