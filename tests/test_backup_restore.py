"""scripts/backup.sh and scripts/restore.sh: a backup is only as good as the restore it was
tested with."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import REPO, child_env, database_url

DB = settings.DATABASES["default"]
pytestmark = pytest.mark.skipif(
    not DB["ENGINE"].endswith("postgresql"),
    reason="backup.sh/restore.sh use pg_dump/pg_restore: PostgreSQL only (set DATABASE_URL)",
)


def server_url(name: str) -> str:
    return database_url({**DB, "NAME": name})


def psql(name: str, sql: str) -> str:
    result = subprocess.run(
        [
            "psql",
            server_url(name).replace("postgres://", "postgresql://", 1),
            "-v",
            "ON_ERROR_STOP=1",
            "-tAq",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def script(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", *args],
        cwd=REPO,
        env=child_env(DATABASE_URL=server_url(database)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def scratch() -> Iterator[Any]:
    """scratch(label) -> the name of a fresh database, dropped after the test."""
    names: list[str] = []

    def make(label: str, *, create: bool = True) -> str:
        name = f"kc_scratch_{label}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        if create:
            psql("postgres", f'CREATE DATABASE "{name}"')
        return name

    yield make
    for name in names:
        psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SEED = """
CREATE TABLE laporan (
    id bigserial PRIMARY KEY,
    judul text NOT NULL,
    desa_code varchar(20) NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}',
    dibuat timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX laporan_desa_idx ON laporan (desa_code text_pattern_ops);
INSERT INTO laporan (judul, desa_code, detail) VALUES
    ('Jalan berlubang di Jl. Tjilik Riwut km 2', '62.02.06.1001', '{"foto": 2}'),
    ('Lampu jalan padam — Baamang Hulu', '62.02.07.1002', '{"foto": 0}'),
    ('Sampah menumpuk di Pasar Keramat', '62.02.06.1003', '{"foto": 1, "catatan": "ñ ü ✓"}');
"""
ROWS = "SELECT string_agg(id || '|' || judul || '|' || desa_code || '|' || detail::text, E'\\n' ORDER BY id) FROM laporan"


def test_backup_then_restore_round_trip(scratch: Any, tmp_path: Path) -> None:
    source = scratch("src")
    psql(source, SEED)
    before = psql(source, ROWS)
    assert before.count("\n") == 2

    dump = tmp_path / "backups" / "kotim.dump"
    backup = script("scripts/backup.sh", str(dump), database=source)
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.strip() == str(dump)
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert not (tmp_path / "backups" / "kotim.dump.partial").exists()
    assert dump.stat().st_mode & 0o077 == 0  # not readable by others

    target = scratch("dst", create=False)
    restore = script("scripts/restore.sh", str(dump), target, database=source)
    assert restore.returncode == 0, restore.stderr
    assert psql(target, ROWS) == before
    # The sequence came back too: the next row gets the next id, not a duplicate.
    assert (
        psql(target, "INSERT INTO laporan (judul, desa_code) VALUES ('baru', '62.02') RETURNING id")
        == "4"
    )
    assert (
        psql(target, "SELECT indexname FROM pg_indexes WHERE indexname = 'laporan_desa_idx'")
        == "laporan_desa_idx"
    )

    # A non-empty database is not overwritten by accident...
    again = script("scripts/restore.sh", str(dump), target, database=source)
    assert again.returncode == 1
    assert "pass --replace" in again.stderr
    assert psql(target, "SELECT count(*) FROM laporan") == "4"
    # ...only on request.
    replaced = script("scripts/restore.sh", str(dump), target, "--replace", database=source)
    assert replaced.returncode == 0, replaced.stderr
    assert psql(target, ROWS) == before


@pytest.mark.django_db
def test_backup_of_the_platform_database_restores(scratch: Any, tmp_path: Path) -> None:
    """The real schema (migrations, constraints, Kotim's regions loaded by the session fixture)
    survives the round trip."""
    from django.db import connection

    test_db = connection.settings_dict["NAME"]
    dump = tmp_path / "platform.dump"
    backup = script("scripts/backup.sh", str(dump), database=test_db)
    assert backup.returncode == 0, backup.stderr
    target = scratch("platform", create=False)
    restore = script("scripts/restore.sh", str(dump), target, database=test_db)
    assert restore.returncode == 0, restore.stderr

    count_sql = "SELECT count(*) FROM {}"
    for table in ("django_migrations", "regions_region"):
        assert psql(target, count_sql.format(table)) == psql(test_db, count_sql.format(table))
    assert int(psql(target, "SELECT count(*) FROM regions_region")) > 0


def test_backup_refuses_a_non_postgresql_url(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", "scripts/backup.sh", str(tmp_path / "x.dump")],
        cwd=REPO,
        env=child_env(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PostgreSQL URL" in result.stderr
    assert not (tmp_path / "x.dump").exists()
