"""Small sample files a new team can import as written in the README: leads (CP932, as Excel on
Windows saves a Japanese CSV), opportunities (UTF-8 with BOM) and spend (UTF-8), with Japanese
headers and channel names. `kaname samples` and `kaname demo` copy them into a workspace."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLE_FILES: dict[str, str] = {
    "leads.csv": "leads",
    "opportunities.csv": "opportunities",
    "spend.csv": "spend",
}
"""Each file and the canonical table it imports into (`kaname import TABLE FILE`)."""


def write_samples(folder: Path, overwrite: bool = False) -> list[Path]:
    """Copy the sample files into `folder` byte for byte (encodings kept); an existing file is
    kept unless `overwrite`. Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SAMPLE_FILES:
        target = folder / name
        if target.exists() and not overwrite:
            continue
        target.write_bytes(resources.files(__name__).joinpath(name).read_bytes())
        written.append(target)
    return written
