"""Bahasa Indonesia first: every user-facing string in the code has an Indonesian translation.

Runs makemessages over the project into a temporary copy of the catalogue, so a string added
without a translation fails here (not only strings already in the catalogue)."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

IGNORE = [
    "node_modules/*",
    ".venv/*",
    "var/*",
    "static/dist/*",
    "e2e/*",
    "tests/*",
    "benchmarks/*",
    "*/tests/*",
    "*/migrations/*",
    ".tools/*",
]


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory: pytest.TempPathFactory) -> polib.POFile:
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is not installed: run scripts/bootstrap.sh (it installs it)")
    tmp = tmp_path_factory.mktemp("locale")
    shutil.copytree(Path(settings.BASE_DIR) / "locale", tmp, dirs_exist_ok=True)
    with override_settings(LOCALE_PATHS=[tmp]):
        call_command(
            "makemessages", locale=["id"], ignore_patterns=IGNORE, no_obsolete=True, verbosity=0
        )
    return polib.pofile(str(tmp / "id" / "LC_MESSAGES" / "django.po"))


def test_every_string_has_an_indonesian_translation(fresh_catalogue: polib.POFile) -> None:
    missing = [e.msgid for e in fresh_catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in fresh_catalogue.fuzzy_entries()]
    assert missing == [], f"{len(missing)} strings without Indonesian: {missing[:20]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy translations: {fuzzy[:20]}"


def test_indonesian_is_the_default_language_and_english_the_second() -> None:
    assert settings.LANGUAGE_CODE == "id"
    assert [code for code, _ in settings.LANGUAGES] == ["id", "en"]
    with translation.override("id"):
        assert translation.gettext("Sign in") == "Masuk"
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"
