"""Backups that restore: the database and the uploaded files, in one folder per backup.

    manage.py backup DIR            -> DIR/jembatan-20261206T171500Z/ (printed)
    manage.py restore DIR/jembatan-20261206T171500Z --yes

A backup folder holds `database.sqlite3` (SQLite's online backup API: a consistent copy while the
server keeps writing) or `database.pgdump` (`pg_dump --format=custom`), `media.tar` (MEDIA_ROOT:
attachments and other uploads) and `manifest.json` (when, which database, how many reports).
Restoring replaces the database's content and MEDIA_ROOT with the backup's. For PostgreSQL
point-in-time recovery (WAL archiving), see docs/deploy.md.
"""

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


class BackupError(Exception):
    """A backup or restore that cannot be carried out; the message says why."""


def _pg_env(db):
    """libpq environment for pg_dump/pg_restore: the connection settings without a password on argv."""
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def _run(command, env):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def create_backup(directory, *, alias=DEFAULT_DB_ALIAS):
    """Write a new backup folder under `directory` and return its path."""
    from jembatan.reports.models import Attachment, Event, Report

    db = connections[alias].settings_dict
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = Path(directory) / f"jembatan-{stamp}"
    target.mkdir(parents=True)
    counts = {
        "reports": Report.objects.using(alias).count(),
        "events": Event.objects.using(alias).count(),
        "attachments": Attachment.objects.using(alias).count(),
    }
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        source = sqlite3.connect(db["NAME"])
        copy = sqlite3.connect(target / "database.sqlite3")
        try:
            with copy:
                source.backup(copy)  # page by page; a concurrent writer restarts the copy, never tears it
        finally:
            copy.close()
            source.close()
    elif vendor == "postgresql":
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target / "database.pgdump")],
            _pg_env(db),
        )
    else:
        raise BackupError(f"No backup method for {vendor}.")
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target / "media.tar", "w") as tar:
        if media.exists():
            tar.add(media, arcname=".")
    manifest = {"created": stamp, "vendor": vendor, "counts": counts}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target


def restore_backup(source, *, alias=DEFAULT_DB_ALIAS):
    """Replace the database's content and MEDIA_ROOT with the backup in folder `source`."""
    source = Path(source)
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a Jembatan backup folder: {exc}") from None
    connection = connections[alias]
    if manifest["vendor"] != connection.vendor:
        raise BackupError(f"The backup is of {manifest['vendor']}; this database is {connection.vendor}.")
    db = connection.settings_dict
    connection.close()
    if connection.vendor == "sqlite":
        backup = sqlite3.connect(source / "database.sqlite3")
        live = sqlite3.connect(db["NAME"], timeout=60)
        try:
            backup.backup(live)  # takes the write lock; readers see the old or the new database, whole
        finally:
            live.close()
            backup.close()
    else:
        dump = source / "database.pgdump"
        command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        _run([*command, "--dbname", db["NAME"], str(dump)], _pg_env(db))
    media = Path(settings.MEDIA_ROOT)
    incoming = media.with_name(media.name + ".restoring")
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir(parents=True)
    with tarfile.open(source / "media.tar") as tar:
        tar.extractall(incoming, filter="data")  # no absolute paths, links out or device files
    shutil.rmtree(media, ignore_errors=True)
    incoming.rename(media)
    return manifest
