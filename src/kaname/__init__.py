"""Kaname (要): self-hosted B2B marketing KPI management."""

from __future__ import annotations

__version__ = "0.1.0"
