"""The demo company: `build_demo` writes a workspace holding two years of a synthetic B2B SaaS
company (kaname.ingest.synthetic) with a starter plan applied, and `bench` times the metric engine
on it; `samples` holds small CSV files to try `kaname import` on. They sit above the workspace
facade: they create and fill workspaces, as a user would."""

from kaname.demo.build import EXECUTIVE_KPIS, build_demo, starter_plan
from kaname.demo.samples import SAMPLE_FILES, write_samples

__all__ = ["EXECUTIVE_KPIS", "SAMPLE_FILES", "build_demo", "starter_plan", "write_samples"]
