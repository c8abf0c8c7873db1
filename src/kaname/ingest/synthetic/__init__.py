"""The synthetic demo company: a B2B SaaS business generated with vectorised numpy."""

from kaname.ingest.synthetic.generate import estimate_rows, generate

__all__ = ["estimate_rows", "generate"]
