"""Property tests: whatever mix of valid, invalid and malformed rows, encodings and date formats,
no row is lost and the counts reconcile."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaname.ingest.importer.dates import parse_dates
from kaname.ingest.importer.load import import_file
from kaname.ingest.importer.mapping import Mapping
from kaname.ingest.importer.numbers import parse_amounts
from kaname.store.warehouse import Warehouse

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def date_text(draw: st.DrawFn) -> tuple[str, dt.date | None]:
    if draw(st.integers(0, 5)) == 0:
        bad = draw(
            st.sampled_from(["2025/13/01", "2025/02/30", "someday", "31/13/2025", "令和99年1月1日"])
        )
        return bad, None
    day = draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))
    y, m, d = day.year, day.month, day.day
    forms = [
        f"{y}-{m:02d}-{d:02d}",
        f"{y}/{m}/{d}",
        f"{y}年{m}月{d}日",
        f"{y}{m:02d}{d:02d}",
        f"{y}.{m}.{d} 09:30",
    ]
    if day >= dt.date(2019, 5, 1):
        era = "元" if y == 2019 else str(y - 2018)
        forms += [f"令和{era}年{m}月{d}日", f"R{y - 2018}.{m}.{d}"]
    text = draw(st.sampled_from(forms))
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text, day


@st.composite
def amount_text(draw: st.DrawFn) -> tuple[str, float | None, bool]:
    """(text, value, valid)"""
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return draw(st.sampled_from(["abc", "12x", "--5", "万億", "1.2.3"])), None, False
    if kind == 1:
        return "", None, True
    value = draw(st.integers(0, 10**9))
    if kind == 2:
        return f"{value:,}", float(value), True
    if kind == 3:
        return f"￥{value:,}", float(value), True
    if kind == 4:
        man = value // 10_000
        return f"{man}万円", float(man * 10_000), True
    if kind == 5:
        return f"{value / 1e8:.2f}億".replace(".00億", "億"), round(value / 1e8, 2) * 1e8, True
    return f"{value}円", float(value), True


@st.composite
def rows(draw: st.DrawFn) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(1, 25))):
        date, day = draw(date_text())
        amount, value, amount_ok = draw(amount_text())
        won = draw(st.sampled_from(["true", "false", "はい", "いいえ", "1", "0", "", "maybe"]))
        key = draw(st.sampled_from(["", "O1", "O2", "O3", "O4", "O5", "O6", "O7"]))
        malformed = draw(st.integers(0, 12)) == 0
        valid = bool(key) and day is not None and amount_ok and won != "maybe" and not malformed
        out.append(
            {
                "key": key,
                "date": date,
                "day": day,
                "amount": amount,
                "value": value,
                "won": won,
                "valid": valid,
                "malformed": malformed,
            }
        )
    return out


def _csv(records: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["商談ID", "案件化日", "受注金額", "受注"])
    for r in records:
        cells = [r["key"], r["date"], r["amount"], r["won"]]
        writer.writerow([*cells, "extra"] if r["malformed"] else cells)
    return buf.getvalue()


MAPPING = Mapping(
    table="opportunities",
    columns={
        "商談ID": "opportunity_id",
        "案件化日": "created_at",
        "受注金額": "amount",
        "受注": "is_won",
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
def test_nothing_is_lost_and_counts_reconcile(records: list[dict], encoding: str) -> None:
    wh = Warehouse.connect("duckdb://")
    wh.ensure_schema()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "opps.csv"
        path.write_bytes(_csv(records).encode(encoding))
        summary = import_file(wh, path, MAPPING)
        again = import_file(wh, path, MAPPING)
    assert summary.encoding == encoding
    assert summary.rows_read == len(records)
    assert summary.reconciles and again.reconciles
    winners = {r["key"]: r for r in records if r["valid"]}  # the last valid row per key wins
    assert summary.inserted == len(winners)
    assert summary.quarantined == len(records) - len(winners)
    quarantined_rows = {issue["row"] for issue in summary.issues}
    assert len(quarantined_rows) == summary.quarantined
    expected_bad = {i + 2 for i, r in enumerate(records) if not r["valid"]}
    assert expected_bad <= quarantined_rows
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(winners))
    loaded = wh.table("opportunities").execute()
    assert sorted(loaded["opportunity_id"]) == sorted(winners)
    for rec in loaded.itertuples():
        want = winners[rec.opportunity_id]
        assert rec.created_at.date() == want["day"]
        if want["value"] is None:
            assert rec.amount != rec.amount  # NaN: empty amount
        else:
            assert abs(rec.amount - want["value"]) < 1e-3
    wh.close()


@given(st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)))
def test_every_date_format_reads_the_same_day(day: dt.date) -> None:
    y, m, d = day.year, day.month, day.day
    forms = [f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}年{m}月{d}日", f"{y}{m:02d}{d:02d}"]
    if day >= dt.date(2019, 5, 1):
        forms.append(f"令和{y - 2018}年{m}月{d}日")
    elif dt.date(1989, 1, 8) <= day <= dt.date(2019, 4, 30):
        forms.append(f"平成{y - 1988}年{m}月{d}日")
    values, bad = parse_dates(pa.array(forms), with_time=False)
    assert not bad.any()
    assert set(values.to_pylist()) == {day}


@given(st.integers(-(10**12), 10**12))
def test_yen_amounts_round_trip(value: int) -> None:
    sign = "△" if value < 0 else ""
    forms = [str(value), f"{value:,}", f"{sign}￥{abs(value):,}", f"{sign}{abs(value)}円"]
    values, bad = parse_amounts(pa.array(forms))
    assert not bad.any()
    assert set(values.to_pylist()) == {float(value)}


def test_impossible_days_are_rejected_in_a_column_of_one_format() -> None:
    values, bad = parse_dates(pa.array(["2025/4/1"] * 5 + ["2025/2/30", "2025/4/31"]), False)
    assert bad.tolist() == [False] * 5 + [True, True]
    assert values.to_pylist()[:1] == [dt.date(2025, 4, 1)]


@given(st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)), min_size=1, max_size=20))
def test_slashed_dates_read_month_first_unless_the_column_shows_day_first(
    days: list[dt.date],
) -> None:
    """US CRM exports write 12/31/2025; a column that writes 31/12/2025 is read day first."""
    us, _ = parse_dates(pa.array([f"{d.month}/{d.day}/{d.year}" for d in days]), False)
    assert us.to_pylist() == days
    if any(d.day > 12 for d in days):  # the column shows which comes first
        eu, bad = parse_dates(
            pa.array([f"{d.day:02d}/{d.month:02d}/{d.year}" for d in days]), False
        )
        assert not bad.any() and eu.to_pylist() == days


def test_a_slashed_date_the_columns_order_cannot_read_is_reported() -> None:
    values, bad = parse_dates(pa.array(["13/12/2025", "4/14/2025 9:30"]), with_time=True)
    assert bad.tolist() == [True, False]
    assert values.to_pylist()[1] == dt.datetime(2025, 4, 14, 9, 30)
