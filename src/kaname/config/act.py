"""What kaname.yaml says about the Act stage: alert rules (`alerts:`), notification channels
(`channels:`) and scheduled reports (`reports:`). Plain validated schemas: kaname.act reads them
to evaluate rules, deliver messages and send reports, and kaname.config only composes them into
the workspace configuration, so the lowest layer never imports the highest (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from kaname.formatting import loose_number

GrainName = Literal["day", "week", "month", "quarter", "half", "year"]
"""A period grain by name (kaname.metrics.calendar.Grain holds the same values)."""
Language = Literal["ja", "en"]


# ---------------------------------------------------------------------- alert rules
Severity = Literal["info", "warning", "critical"]


Number = Annotated[float, BeforeValidator(loose_number)]
"""A number in a rule: 500万, 1,000 and 90% read as people write them."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    """Unique name of the rule (alerts and their history refer to it)."""
    kpi: str = ""
    dimension: str | None = None
    """Split by this dimension (one alert per value) or, with `dimension_value`, filter to one."""
    dimension_value: str | None = None
    grain: GrainName = "month"
    """day, week, month, quarter, half or year."""
    severity: Severity = "warning"
    channels: list[str] | None = None
    """Channel names to notify (default: every configured channel)."""
    cooldown_hours: float = Field(24, ge=0)
    """After an alert, the same rule stays quiet for the same KPI and dimension this long."""
    enabled: bool = True

    @field_validator("threshold", "tolerance", "min_change", mode="before", check_fields=False)
    @classmethod
    def _typed(cls, value: object) -> object:
        """90% and 0.9 alike (the schema stays a number)."""
        return loose_number(value)


class TargetMissRule(_Rule):
    """Achievement at pace (projection ÷ target) below `threshold` in the current period."""

    type: Literal["target_miss"] = "target_miss"
    threshold: float = Field(0.9, gt=0, le=2)


class ForecastMissRule(_Rule):
    """The projected end-of-period value misses the target by more than `tolerance`."""

    type: Literal["forecast_miss"] = "forecast_miss"
    method: str = "pacing"
    """A registered forecaster: `pacing` (run-rate over business days) or one a module adds."""
    tolerance: float = Field(0.0, ge=0, lt=1)


class ThresholdRule(_Rule):
    """The KPI of the last complete period is above or below a fixed value."""

    type: Literal["threshold"] = "threshold"
    above: Number | None = None
    below: Number | None = None
    current: bool = False
    """Check the current (incomplete) period instead of the last complete one."""


class ChangeRule(_Rule):
    """The last complete period changed by more than `min_change` vs the previous period or the
    same period a year earlier."""

    type: Literal["change"] = "change"
    compare: Literal["previous_period", "previous_year"] = "previous_period"
    min_change: float = Field(0.2, gt=0)
    """Relative change that fires (0.2 = ±20%)."""
    direction: Literal["worse", "better", "any"] = "worse"
    """worse follows the KPI's direction (a fall for higher-is-better KPIs)."""


class AnomalyRule(_Rule):
    """The last complete period is far from what the season and the recent level predict."""

    type: Literal["anomaly"] = "anomaly"
    threshold: float = Field(3.5, gt=0)
    """Robust z-score (residual ÷ 1.4826 MAD of past residuals) that fires."""
    direction: Literal["worse", "better", "any"] = "any"


class FreshnessRule(_Rule):
    """A data source not refreshed or synced for `hours`, or its last run failed."""

    type: Literal["freshness"] = "freshness"
    source: str = "refresh"
    """`refresh` (KPI materialisation) or a name a sync module registers in FRESHNESS_SOURCES."""
    hours: float = Field(26, gt=0)


class QualityRule(_Rule):
    """Data-quality findings of at least `level` above `max_findings`."""

    type: Literal["quality"] = "quality"
    checker: str = "default"
    level: Literal["info", "warning", "error"] = "warning"
    max_findings: int = Field(0, ge=0)


Rule = Annotated[
    TargetMissRule
    | ForecastMissRule
    | ThresholdRule
    | ChangeRule
    | AnomalyRule
    | FreshnessRule
    | QualityRule,
    Field(discriminator="type"),
]
KPI_RULES = ("target_miss", "forecast_miss", "threshold", "change", "anomaly")


# ---------------------------------------------------------------- notification channels
class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    """How rules and reports refer to this channel."""
    language: Language | None = None
    """Language of messages on this channel (default: the workspace language)."""
    retries: int = Field(3, ge=0, le=10)
    """Further attempts after a failed one."""
    backoff_seconds: float = Field(2.0, ge=0)
    """Wait before the first retry; doubled for each further one."""


class InAppChannel(_Channel):
    """The alert list of the dashboard (alerts are stored anyway; this records the delivery)."""

    type: Literal["in_app"] = "in_app"


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    language: Language | None = None
    """This recipient's language (default: the channel's)."""


class SmtpChannel(_Channel):
    """E-mail over SMTP: an HTML and a text part in each recipient's language."""

    type: Literal["smtp"] = "smtp"
    host: str
    port: int = 25
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    recipients: list[Recipient] = Field(min_length=1)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password_env: str | None = None
    """Name of the environment variable holding the password (never the password itself)."""
    timeout_seconds: float = 20

    @field_validator("recipients", mode="before")
    @classmethod
    def _plain_addresses(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"address": v} if isinstance(v, str) else v for v in value]
        return value


class SlackChannel(_Channel):
    """A Slack incoming webhook."""

    type: Literal["slack"] = "slack"
    webhook_url: str = Field(pattern=r"^https?://")
    timeout_seconds: float = 10


class WebhookChannel(_Channel):
    """Any HTTP endpoint: JSON POST signed with HMAC-SHA256 in the X-Kaname-Signature header."""

    type: Literal["webhook"] = "webhook"
    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = None
    """Name of the environment variable holding the signing secret."""
    timeout_seconds: float = 10


Channel = Annotated[
    InAppChannel | SmtpChannel | SlackChannel | WebhookChannel, Field(discriminator="type")
]


# ---------------------------------------------------------------------- scheduled reports
class ReportSchedule(BaseModel):
    """A report e-mailed (or posted) on a schedule."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    frequency: Literal["weekly", "monthly"] = "weekly"
    """weekly: month-to-date pacing, sent on `weekday`; monthly: the month just ended, on `day`."""
    format: Literal["html", "pdf", "xlsx"] = "pdf"
    channels: list[str] | None = None
    """Channel names (default: every e-mail channel)."""
    weekday: int = Field(0, ge=0, le=6)
    """Day of the week for weekly reports (0 = Monday)."""
    day: int = Field(1, ge=1, le=28)
    """Day of the month for monthly reports."""
    hour: int = Field(8, ge=0, le=23)
    timezone: str = "Asia/Tokyo"
    language: Literal["ja", "en"] | None = None


def check_act_config(
    channels: Sequence[Any], alerts: Sequence[Any], reports: Sequence[Any]
) -> None:
    """Names are unique and every rule or report names channels that exist."""
    for kind, items, attr in (
        ("channel", channels, "name"),
        ("alert rule", alerts, "id"),
        ("report", reports, "name"),
    ):
        seen: set[str] = set()
        for item in items:
            key = getattr(item, attr)
            if key in seen:
                raise ValueError(f"two {kind}s are named {key!r}; names must be unique")
            seen.add(key)
    names = {c.name for c in channels}
    for item in [*alerts, *reports]:
        missing = sorted(set(item.channels or []) - names)
        if missing:
            label = getattr(item, "id", None) or item.name
            raise ValueError(
                f"{label}: unknown channel {', '.join(missing)}; "
                f"channels are {', '.join(sorted(names)) or 'not configured'}"
            )
    for report in reports:
        try:
            ZoneInfo(report.timezone)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"report {report.name}: unknown timezone {report.timezone!r}") from exc
