"""The analytics service over the demo warehouse: journeys, models side by side, channel returns,
cohorts, RFM, LTV and forecasts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from kaname.analytics import attribution, clv, cohorts, rfm
from kaname.demo import build_demo
from kaname.metrics import journeys
from kaname.workspace import Workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("analytics") / "demo"
    build_demo(root, scale=0.03, as_of=dt.date(2026, 11, 20)).close()
    workspace = Workspace.open(root)
    yield workspace
    workspace.close()


def test_journeys_hold_every_won_deal(ws: Workspace) -> None:
    deals = ws.warehouse.con.sql(
        "select count(*) n, sum(amount) v from opportunities o where is_won "
        "and type = 'new_business' and exists (select 1 from touchpoints t "
        "where t.lead_id = o.lead_id and t.type not in ('email_sent', 'email_delivered'))"
    ).to_pandas()
    paths = ws.analytics.paths("lead")
    assert paths["conversions"].sum() == deals["n"].iloc[0]
    assert paths["value"].sum() == pytest.approx(deals["v"].iloc[0])
    assert (paths["nulls"] + paths["conversions"] == 1).all()
    lengths = paths["path"].map(len)
    assert (paths["days_before"].map(len) == lengths).all()
    assert (paths["close_touch"] == lengths - 1).all()
    assert (paths["lead_touch"] <= paths["opportunity_touch"]).all()


@pytest.mark.parametrize("level", ["lead", "account"])
def test_models_side_by_side_keep_the_totals(ws: Workspace, level: str) -> None:
    frame = ws.analytics.compare_attribution(level=level)  # type: ignore[arg-type]
    paths = ws.analytics.paths(level)  # type: ignore[arg-type]
    totals = frame.groupby("model")[["conversions", "value"]].sum()
    assert len(totals) == 9
    assert np.allclose(totals["conversions"], paths["conversions"].sum())
    assert np.allclose(totals["value"], paths["value"].sum())
    assert "Markov chain (order 1)" in set(frame["label"])


def test_channel_returns_name_the_model(ws: Workspace) -> None:
    period = ws.period("FY2025")
    out = ws.analytics.channel_returns("markov", period)
    assert out.attrs["label"] == "Markov chain (order 1)"
    credit = ws.analytics.attribution("markov", "lead", period)
    assert out["attributed_revenue"].sum() == pytest.approx(credit["value"].sum())
    spend = ws.warehouse.con.sql(
        "select sum(cost) from spend where date >= '2025-04-01' and date < '2026-04-01'"
    ).to_pandas()
    assert out["spend"].sum() == pytest.approx(spend.iloc[0, 0])
    row = out[(out["spend"] > 0) & (out["attributed_deals"] > 0)].iloc[0]
    assert row["roas"] == pytest.approx(row["attributed_revenue"] / row["spend"])
    assert row["cac"] == pytest.approx(row["spend"] / row["attributed_deals"])


def test_cohorts_rfm_ltv(ws: Workspace) -> None:
    leads = ws.analytics.lead_cohorts(months=6)
    assert set(leads["stage"]) == {"mql", "sql", "opportunity", "deal"}
    latest = leads[leads["cohort"] == "2026-11"]
    assert latest.loc[latest["months_since"] > 0, "rate"].isna().all()
    customers = ws.analytics.customer_cohorts(months=6)
    first = customers[customers["months_since"] == 0]
    assert (first["logo_retention"] <= 1).all()
    rfm = ws.analytics.rfm()
    assert len(rfm) and set(rfm["r"]) <= {1, 2, 3, 4, 5}
    seg = ws.analytics.rfm_segments()
    assert seg["customers"].sum() == len(rfm)
    ltv = ws.analytics.ltv()
    assert ltv["ltv"] == pytest.approx(ltv["arpa"] * ltv["gross_margin"] / ltv["monthly_churn"])
    assert ltv["sbg"]["survival"][0] == pytest.approx(1.0)


def test_forecast_band_follows_history(ws: Workspace) -> None:
    result = ws.analytics.forecast("leads", horizon=3)
    assert result.frame["period"].tolist() == ["2026-11", "2026-12", "2027-01"]
    assert (result.frame["lower"] <= result.frame["upper"]).all()
    history = ws.analytics.kpi_history("leads")
    assert history.index[-1] == np.datetime64("2026-10-01")


@pytest.mark.parametrize("level", ["lead", "account"])
def test_service_credit_equals_credit_of_the_journey_rows(ws: Workspace, level: str) -> None:
    """The service reads paths aggregated on the warehouse; every model credits what it did when
    each journey was read as a row (time decay with its half-life, custom with its weights)."""
    period = ws.period("FY2025")
    rows = ws.analytics.paths(level, period)  # type: ignore[arg-type]
    options = [
        ("time_decay", {"half_life_days": 3.0}),
        ("custom", {"weights": {"lead": 0.5, "close": 0.25}}),
        *((m, {}) for m in ("first_touch", "linear", "w_shaped", "full_path", "markov")),
        ("shapley", {}),
    ]
    for model, extra in options:
        got = ws.analytics.attribution(model, level, period, **extra)  # type: ignore[arg-type]
        expected = attribution.attribute(rows, model, **extra)  # type: ignore[arg-type]
        got, expected = got.set_index("channel"), expected.set_index("channel")
        assert list(got.index) == list(expected.index), model
        for column in ("conversions", "value"):
            assert got[column].to_numpy() == pytest.approx(expected[column].to_numpy()), model
        assert got.attrs["journeys"] == len(rows)
    side = ws.analytics.compare_attribution(("u_shaped", "time_decay"), level, period)  # type: ignore[arg-type]
    expected = attribution.compare(rows, ("u_shaped", "time_decay"))
    key = ["model", "channel"]
    side, expected = side.sort_values(key), expected.sort_values(key)
    assert side["value"].to_numpy() == pytest.approx(expected["value"].to_numpy())


def test_service_cohorts_rfm_and_bgnbd_inputs_equal_those_of_the_rows(ws: Workspace) -> None:
    tables = ws.warehouse.tables()
    today = pd.Timestamp(ws.today())
    leads = journeys.lead_milestones(tables)
    leads = leads[leads["created_at"] <= today + pd.Timedelta(days=1)]
    for column in ("mql_at", "sql_at", "opportunity_at", "deal_at"):
        leads.loc[leads[column] > today + pd.Timedelta(days=1), column] = pd.NaT
    expected = cohorts.lead_cohorts(leads, today, months=12)
    pd.testing.assert_frame_equal(ws.analytics.lead_cohorts(12), expected)
    subs = journeys.subscriptions(tables)
    expected = cohorts.customer_cohorts(subs, ws.today(), months=24)
    pd.testing.assert_frame_equal(ws.analytics.customer_cohorts(24), expected)
    deals = journeys.won_deals(tables)
    pd.testing.assert_frame_equal(
        ws.analytics.rfm(), rfm.rfm_table(deals, today), check_index_type=False
    )
    pd.testing.assert_frame_equal(
        ws.analytics.purchase_summary(), clv.rfm_summary(deals, today), check_index_type=False
    )
