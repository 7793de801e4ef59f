"""Per-file metadata overrides: `reports.toml` in a reports folder corrects what parsing read of a report
(its title, issuer, place, years), one table a file: [\"file.txt\"] title = …"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.errors import IngestError
from bot.types import Region
from ingest.parse import ParsedReport

MANIFEST_NAMES = ("reports.toml",)


def load_overrides(folder: Path | None) -> dict[str, dict[str, Any]]:
    """Per-file metadata overrides from `reports.toml` in the reports folder: [\"file.txt\"] title = …"""
    if folder is None:
        return {}
    for name in MANIFEST_NAMES:
        p = folder / name
        if p.is_file():
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise IngestError(f"{p}: invalid TOML ({exc}); fix or remove it.") from exc
            return {k: v for k, v in data.items() if isinstance(v, dict)}
    return {}


def apply_overrides(report: ParsedReport, over: dict[str, Any]) -> None:
    meta = report.meta
    for key, value in over.items():
        if key == "region" and isinstance(value, dict):
            meta.region = Region(**{**meta.region.model_dump(), **value})
        elif key in ("province", "city", "district"):
            setattr(meta.region, key, value)
        elif key == "years":
            meta.years = [int(y) for y in (value if isinstance(value, list) else [value])]
        elif key == "year":
            meta.years = [int(value)]
        elif key in ("title", "issuer", "published"):
            setattr(meta, key, str(value))
        else:
            raise IngestError(f"reports.toml [{meta.source}]: unknown field {key!r}")
