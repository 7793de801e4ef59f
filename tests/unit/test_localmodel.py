"""The local model's file: joined from installed part packages, checked against the pinned SHA-256.

The parts here are small fake packages written into a temporary folder on sys.path, laid out as the real
wheels are (``pkg/data/partNN.bin``); the real model is never needed.
"""

from __future__ import annotations

import hashlib
import importlib
import tomllib
from pathlib import Path

import pytest

from bot.localmodel import (
    QWEN_CODER_1_5B,
    XLLAMACPP_VERSION,
    ModelIntegrityError,
    ModelMissing,
    ModelSpec,
    ensure_model,
    find_parts,
    join_parts,
)
from tests.conftest import REPO

CONTENTS = [b"GGUF" + bytes(range(256)) * 40, b"second part " * 500, b"\x00\x01 the end"]


def fake_spec(root: Path, monkeypatch: pytest.MonkeyPatch, contents: list[bytes] = CONTENTS) -> ModelSpec:
    packages, files = [], []
    for i, data in enumerate(contents, 1):
        pkg = f"reportqa_fake_model_part{i}"
        (root / pkg / "data").mkdir(parents=True)
        (root / pkg / "__init__.py").write_text("raise RuntimeError('a part package is never imported')\n")
        (root / pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        packages.append(pkg)
        files.append(f"data/part{i:02d}.bin")
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return ModelSpec(
        name="fake",
        file_name="fake.gguf",
        sha256=hashlib.sha256(b"".join(contents)).hexdigest(),
        packages=tuple(packages),
        part_files=tuple(files),
    )


def test_parts_are_joined_in_order_and_the_hash_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = fake_spec(tmp_path / "site", monkeypatch)
    path = ensure_model(spec, tmp_path / "cache")
    assert path == tmp_path / "cache" / "fake.gguf"
    assert path.read_bytes() == b"".join(CONTENTS)
    assert "joining fake.gguf" in capsys.readouterr().err  # the progress bar goes to stderr
    assert list((tmp_path / "cache").iterdir()) == [path]  # no temporary file is left behind


def test_a_wrong_hash_names_the_file_and_both_hashes_and_leaves_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = fake_spec(tmp_path / "site", monkeypatch)
    pinned = "0" * 64
    bad = ModelSpec(spec.name, spec.file_name, pinned, spec.packages, spec.part_files)
    with pytest.raises(ModelIntegrityError) as err:
        ensure_model(bad, tmp_path / "cache", progress=False)
    message = str(err.value)
    assert str(tmp_path / "cache" / "fake.gguf") in message
    assert pinned in message and spec.sha256 in message
    assert "nothing was loaded" in message
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_damaged_part_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = fake_spec(tmp_path / "site", monkeypatch)
    (tmp_path / "site" / spec.packages[1] / spec.part_files[1]).write_bytes(b"second part " * 499 + b"tampered!!!!")
    with pytest.raises(ModelIntegrityError, match=spec.sha256):
        ensure_model(spec, tmp_path / "cache", progress=False)


def test_a_damaged_cached_model_is_joined_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = fake_spec(tmp_path / "site", monkeypatch)
    cached = tmp_path / "cache" / spec.file_name
    cached.parent.mkdir()
    cached.write_bytes(b"half a model")
    assert ensure_model(spec, tmp_path / "cache", progress=False).read_bytes() == b"".join(CONTENTS)


def test_a_missing_part_package_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = fake_spec(tmp_path / "site", monkeypatch)
    missing = ModelSpec(
        spec.name, spec.file_name, spec.sha256, (*spec.packages, "reportqa_no_such_part"), (*spec.part_files, "x")
    )
    with pytest.raises(ModelMissing, match=r"reportqa_no_such_part.*\.\[local-llm\]"):
        find_parts(missing)
    assert not (tmp_path / "cache").exists()


def test_join_needs_parts(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="at least one part"):
        join_parts([], tmp_path / "x.gguf", "0" * 64)


def test_the_extra_pins_the_runtime_and_every_part_the_module_expects() -> None:
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["local-llm"]
    expected = [f"xllamacpp=={XLLAMACPP_VERSION}"] + [
        f"{pkg.replace('_', '-')}==0.2.0" for pkg in QWEN_CODER_1_5B.packages
    ]
    assert extra == expected
    assert len(QWEN_CODER_1_5B.packages) == 22
    assert QWEN_CODER_1_5B.part_files[0] == "data/part01.bin" and QWEN_CODER_1_5B.part_files[-1] == "data/part22.bin"
