"""The demo company: `build_demo` writes a workspace holding two years of a synthetic B2B SaaS
company (kaname.ingest.synthetic) with a starter plan applied, and `bench` times the metric engine
on it. Both sit above the workspace facade: they create and fill workspaces, as a user would."""

from kaname.demo.build import EXECUTIVE_KPIS, build_demo, starter_plan

__all__ = ["EXECUTIVE_KPIS", "build_demo", "starter_plan"]
