"""deploy/backup.sh and deploy/restore.sh.

On PostgreSQL, a real round trip on the throwaway cluster: deploy/postgres/roles.sql makes
the backup role and a fresh database, backup.sh dumps the suite's database (the world is
committed in it), restore.sh loads the dump into the fresh one, and every table must hold
the same rows; the row-level security guards must have come along. On SQLite the scripts
must refuse the suite's own database URL with a clear message and write nothing.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import BACKEND

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BACKUP_PASSWORD = "b@ck up%1"  # needs percent-encoding in a URL: the scripts must decode it


def _run(script, *args, env=None):
    return subprocess.run(
        [str(DEPLOY / script), *map(str, args)],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("script", ["backup.sh", "restore.sh"])
def test_scripts_refuse_a_sqlite_url_clearly(script, tmp_path):
    url = f"sqlite:///{tmp_path}/linli.db"
    out = tmp_path / "out.dump"
    args = (url, out) if script == "backup.sh" else (out, url)
    result = _run(script, *args)
    assert result.returncode == 2
    assert "SQLite" in result.stderr and "PostgreSQL only" in result.stderr
    assert "sqlite3" in result.stderr  # says what to do instead
    assert not out.exists() and not (tmp_path / "out.dump.partial").exists()


def test_scripts_need_their_arguments():
    for script in ("backup.sh", "restore.sh"):
        result = _run(script)
        assert result.returncode == 2 and "usage:" in result.stderr


def test_backup_restore_round_trip(app, world, tmp_path):
    if BACKEND != "postgresql":
        dump = tmp_path / "suite.dump"
        result = _run("backup.sh", app.config["SQLALCHEMY_DATABASE_URI"], dump)
        assert result.returncode == 2, result.stderr
        assert "refusing sqlite:///" in result.stderr and "PostgreSQL only" in result.stderr
        assert not dump.exists()
        return
    _round_trip_on_postgres(tmp_path)


def _round_trip_on_postgres(tmp_path):
    owner_url = make_url(os.environ["LINLI_TEST_PG_OWNER_URL"])
    source_db = owner_url.database
    restored_db = f"linli_restore_{uuid.uuid4().hex[:8]}"
    superuser = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", os.environ["LINLI_TEST_PG_DIR"],
                 "-p", str(owner_url.port), "-U", "postgres", "-d", "postgres"]

    def url(user, password, database):
        return (f"postgresql+psycopg://{user}:{quote(password, safe='')}"
                f"@{owner_url.host}:{owner_url.port}/{database}")

    setup = subprocess.run(
        [*superuser, "-v", "owner_password=unused", "-v", "app_password=unused",
         "-v", f"backup_password={BACKUP_PASSWORD}", "-v", f"dbname={restored_db}",
         "-f", str(DEPLOY / "postgres" / "roles.sql")],
        capture_output=True, text=True, timeout=60,
    )
    assert setup.returncode == 0, setup.stderr
    engines = []
    try:
        dump = tmp_path / "linli.dump"
        # the owner is subject to FORCE'd row-level security: pg_dump must refuse, and say why
        refused = _run("backup.sh", url("linli_owner", "owner", source_db), dump)
        assert refused.returncode == 1
        assert "row-level security" in refused.stderr and "linli_backup" in refused.stderr
        assert not dump.exists() and not Path(f"{dump}.partial").exists()

        made = _run("backup.sh", url("linli_backup", BACKUP_PASSWORD, source_db), dump)
        assert made.returncode == 0, made.stderr
        assert dump.stat().st_size > 0 and not Path(f"{dump}.partial").exists()
        assert BACKUP_PASSWORD not in made.stderr

        target = url("linli_owner", "owner", restored_db)
        restored = _run("restore.sh", dump, target)
        assert restored.returncode == 0, restored.stderr

        reader = {db: create_engine(url("linli_backup", BACKUP_PASSWORD, db))
                  for db in (source_db, restored_db)}
        engines.extend(reader.values())
        source, copy = (_table_contents(reader[db]) for db in (source_db, restored_db))
        assert "members" in source and source["members"][0] > 0, "the world is in the dump"
        assert copy == source

        _assert_guards_restored(url("linli_app", "app", restored_db), engines)
        _ledger_verify_if_there(url("linli_app", "app", restored_db), target)

        again = _run("restore.sh", dump, target)
        assert again.returncode == 1 and "is not empty" in again.stderr
    finally:
        for engine in engines:
            engine.dispose()
        subprocess.run([*superuser, "-c", f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)'],
                       capture_output=True, timeout=60)


def _table_contents(engine) -> dict:
    """Per table of schema public: (row count, md5 of every row's text in order)."""
    with engine.connect() as conn:
        tables = conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )).all()
        return {
            t: tuple(conn.execute(text(
                f'SELECT count(*), md5(coalesce(string_agg(r::text, \'|\' ORDER BY r::text), \'\')) '
                f'FROM public."{t}" r'
            )).one())
            for t in tables
        }


def _assert_guards_restored(app_url, engines):
    from core.db import tenant_tables

    engine = create_engine(app_url)
    engines.append(engine)
    with engine.connect() as conn:
        for table in tenant_tables():
            forced = conn.scalar(text(
                "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class "
                "WHERE oid = CAST(:t AS regclass)"), {"t": f"public.{table.name}"})
            assert forced, f"row-level security lost on {table.name}"
        # the app role sees no tenant row without a community, and its own with one
        assert conn.scalar(text("SELECT count(*) FROM members")) == 0
        community = conn.scalar(text("SELECT community_id FROM members LIMIT 1"))
        assert community is None
        conn.rollback()
        with conn.begin():
            conn.execute(text("SELECT set_config('app.all_communities', 'on', true)"))
            assert conn.scalar(text("SELECT count(*) FROM members")) > 0


def _ledger_verify_if_there(app_url, owner_url):
    """``linli ledger verify`` on the restored copy, once the ledger provides it."""
    linli = Path(sys.executable).with_name("linli")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": app_url,
           "MIGRATIONS_DATABASE_URL": owner_url, "DATABASE_APP_ROLE": "linli_app",
           "SECRET_KEY": "backup-test"}
    listing = subprocess.run([str(linli), "--help"], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=120)
    assert listing.returncode == 0, listing.stderr
    commands = {line.split()[0] for line in listing.stdout.split("Commands:")[-1].splitlines()
                if line.strip()}
    if "ledger" not in commands:
        return  # row contents were compared above; see the deploy report's TODO
    verify = subprocess.run([str(linli), "ledger", "verify"], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
