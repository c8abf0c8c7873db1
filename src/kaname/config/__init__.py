"""Workspace configuration: the `kaname.yaml` file at the root of a workspace."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator

from kaname.config.act import Channel, ReportSchedule, Rule, check_act_config
from kaname.yamlmodel import load_yaml_model

CONFIG_FILE = "kaname.yaml"


class ConfigError(Exception):
    """The workspace configuration is missing or invalid; the message says how to fix it."""


DEFAULT_DUCKDB_MEMORY_LIMIT = "1GB"
"""Enough for attribution over 18M touchpoints (the scale-10 demo) in ~1.4 GiB of process memory
all told (docs/benchmarks.md); DuckDB's own default is 80% of the machine's memory."""
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


class WorkspaceConfig(BaseModel):
    """Settings of one workspace. Relative paths in URLs are relative to the workspace folder."""

    name: str = "Kaname"
    """Company or workspace name shown in reports."""
    fiscal_year_start_month: int = Field(4, ge=1, le=12)
    """First month of the fiscal year (4 = April, the Japanese default)."""
    currency: str = "JPY"
    """ISO currency code of every money amount in the warehouse."""
    language: Literal["ja", "en"] = "ja"
    """Language of messages and reports."""
    timezone: str = "Asia/Tokyo"
    """IANA time zone every time is shown in (audit log, syncs, alerts); stored times are UTC."""
    warehouse_url: str = "duckdb:///warehouse.duckdb"
    """Ibis connection URL of the warehouse (duckdb:///file, postgres://user@host/db, ...)."""
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    """Memory a DuckDB warehouse may use for its queries (1GB, 512MB, 4GiB; `auto` = DuckDB's
    own default, 80% of the machine's memory). Past it, DuckDB spills to `duckdb_temp_directory`."""
    duckdb_temp_directory: str | None = None
    """Where a DuckDB warehouse spills what does not fit in `duckdb_memory_limit`; relative paths
    are inside the workspace. Empty: DuckDB's default, `<warehouse file>.tmp` beside the file."""
    app_db_url: str = "sqlite:///kaname.db"
    """SQLAlchemy URL of the app database (sqlite:///file or postgresql+psycopg://...)."""
    gross_margin: float = Field(0.8, gt=0, le=1)
    """Gross margin used by LTV and CAC payback (0–1)."""
    at_risk_ratio: float = Field(0.9, gt=0, lt=1)
    """A KPI whose projection reaches at least this share of target (but not all) is at risk."""
    as_of: dt.date | None = None
    """Pin 'today' for pacing (reproducible reports); empty means the real date."""
    channels: list[Channel] = Field(default_factory=list)
    """Notification channels: in_app, smtp, slack, webhook (docs/act.md)."""
    alerts: list[Rule] = Field(default_factory=list)
    """Alert rules: target_miss, forecast_miss, threshold, change, anomaly, freshness, quality."""
    reports: list[ReportSchedule] = Field(default_factory=list)
    """Scheduled weekly/monthly reports e-mailed to channels."""
    url_allow_list: list[str] = Field(default_factory=list)
    """Hosts, IP addresses or networks (10.0.0.0/8) that connector and webhook URLs may use
    over plain http or on a loopback, link-local or private address (docs/security.md)."""
    max_upload_mb: float = Field(50, gt=0)
    """Largest file the web import accepts, in MB."""
    record_links: dict[Literal["leads", "opportunities", "accounts"], str] = Field(
        default_factory=dict
    )
    """Address of a record in the source CRM/MA per table, `{id}` standing for the record's id
    (https://example.my.salesforce.com/{id}): the drill-down lists link each record to it."""

    @model_validator(mode="after")
    def _act_references(self) -> WorkspaceConfig:
        check_act_config(self.channels, self.alerts, self.reports)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Tokyo or UTC"
            ) from exc
        return value

    @field_validator("record_links")
    @classmethod
    def _link_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for table, template in value.items():
            if "{id}" not in template or not template.startswith(("https://", "http://")):
                raise ValueError(
                    f"record_links.{table} must be an http(s) address with {{id}} where the "
                    "record's id goes, e.g. https://example.my.salesforce.com/{id}"
                )
        return value

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if value.strip().lower() == "auto":
            return "auto"
        if not _MEMORY.match(value):
            raise ValueError(
                f"duckdb_memory_limit {value!r} is not a size: write e.g. 1GB, 512MB or 4GiB, "
                "or auto for DuckDB's default (80% of the machine's memory)"
            )
        return value.strip()

    def duckdb_settings(self) -> dict[str, str]:
        """The DuckDB settings of a DuckDB warehouse: memory limit, spill folder, and the
        allocator's background thread, which hands memory a query freed back to the system
        (without it a big query's memory stays with the process while the models run)."""
        settings = {"allocator_background_threads": "true"}
        if self.duckdb_memory_limit != "auto":
            settings["memory_limit"] = self.duckdb_memory_limit
        if self.duckdb_temp_directory and self.duckdb_temp_directory.strip():
            settings["temp_directory"] = self.duckdb_temp_directory.strip()
        return settings

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError("currency must be a three-letter ISO code such as JPY or USD")
        return value.upper()


ENV_URLS = {"warehouse_url": "KANAME_WAREHOUSE_URL", "app_db_url": "KANAME_APP_DB_URL"}
"""Environment variables that override the store URLs of kaname.yaml (a container gets its
database passwords from its environment, not from a file on its volume; docs/deploy.md)."""


def env_overrides() -> dict[str, str]:
    """The store URLs set in the environment (empty values are ignored)."""
    return {
        key: os.environ[name].strip()
        for key, name in ENV_URLS.items()
        if os.environ.get(name, "").strip()
    }


def load_config(root: Path) -> WorkspaceConfig:
    path = root / CONFIG_FILE
    if not path.exists():
        raise ConfigError(
            f"{root} is not a Kaname workspace (no {CONFIG_FILE}). "
            f"Create one with `kaname init {root}` or pass --workspace."
        )
    config = load_yaml_model(
        path.read_text(encoding="utf-8"), WorkspaceConfig, str(path), ConfigError
    )
    overrides = env_overrides()
    return config.model_copy(update=overrides) if overrides else config


def write_config(root: Path, config: WorkspaceConfig) -> Path:
    """Write kaname.yaml. A store URL that comes from the environment is not written: the
    file keeps what it said (so a password in the environment never lands in the file)."""
    path = root / CONFIG_FILE
    data = config.model_dump(mode="json", exclude_none=True)
    overridden = env_overrides()
    if overridden:
        before = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        before = before if isinstance(before, dict) else {}
        for key in overridden:
            if key in before:
                data[key] = before[key]
            else:
                data.pop(key, None)
    data = {k: v for k, v in data.items() if v not in ([], {})}  # no empty lists or maps
    header = "# Kaname workspace settings. See docs/configuration.md for every field.\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def update_config(root: Path, changes: dict[str, object]) -> WorkspaceConfig:
    """Change top-level settings of kaname.yaml (e.g. {"alerts": [...]}) and keep every other
    setting as the file writes it, and its leading comment lines; an empty list removes the key.
    The whole file is validated before it is written; returns the new configuration."""
    path = root / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the settings must be a mapping")
    for key, value in changes.items():
        if value == [] or value is None:
            data.pop(key, None)
        else:
            data[key] = value
    config = WorkspaceConfig.model_validate(data)
    lines = text.splitlines()
    lead = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    header = "".join(line + "\n" for line in lines[:lead])
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True) if data else ""
    path.write_text(header + body, "utf-8")
    return config
