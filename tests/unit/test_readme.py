"""The README and .env.example describe every setting, and the README's examples say what the server does."""

from __future__ import annotations

import re

import pytest

from bot.settings import Settings
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (REPO / ".env.example").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_and_the_env_example(field: str) -> None:
    name = f"REPORTQA_{field.upper()}"
    assert f"`{name}`" in README, f"{name} is missing from the README's settings"
    assert re.search(rf"^{name}=", ENV_EXAMPLE, re.M), f"{name} is missing from .env.example"


def test_every_setting_has_a_description() -> None:
    assert all(f.description for f in Settings.model_fields.values())


def test_curl_examples_quote_variables_so_that_they_expand() -> None:
    assert not re.search(r"'[^'\n]*\$[A-Z_]+[^'\n]*'", README), "a $VARIABLE inside single quotes never expands"


def test_the_question_limit_default_is_what_the_settings_say() -> None:
    default = Settings.model_fields["max_question_chars"].default
    assert f"`REPORTQA_MAX_QUESTION_CHARS` ({default})" in README
