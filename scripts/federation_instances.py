"""Real Jembatan instances on loopback, for the tests that need more than one (issue 16).

Used by the federation stage (scripts/federation_test.py: three instances behind a faulty proxy)
and by the browser walk-through across two instances
(jembatan/federation/tests/test_browser_federation.py). Each instance is gunicorn plus
`manage.py run_worker`, in production settings (DEBUG off, collected static files), with its own
SQLite database, Huey queue and var directory under a temp directory. Its people act through
scripts/federation_actor.py (the set-up: this instance, its peers and their pair keys, which
instance hosts which agency, officers). Plain Python: importing this module does not start Django.
"""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
COLLECTED_STATIC = ROOT / "var" / "static"


def log(message):
    print(f"   [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pair_secret(*slugs):
    """The HMAC key two instances share in a test (derived from their ids, so both ends agree)."""
    return hashlib.sha256("-".join(sorted(slugs)).encode()).hexdigest()


def port_in_use(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Instance:
    """One Jembatan process pair (web + worker) with its own database. `url` is where its peers
    reach it (the instance itself, or a proxy in front of it)."""

    def __init__(self, slug, name, port, tmp, *, url=None, workers=2):
        self.slug, self.name, self.port = slug, name, port
        self.url = url or f"http://127.0.0.1:{port}"
        self.workers = workers
        self.dir = Path(tmp) / slug
        self.dir.mkdir(parents=True)
        self.db = self.dir / "jembatan.sqlite3"
        self.env = {
            **os.environ,
            "STATIC_ROOT": str(COLLECTED_STATIC),
            "JEMBATAN_ENV": "development",
            "DEBUG": "false",
            "JEMBATAN_VAR_DIR": str(self.dir),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "SQLITE_BUSY_TIMEOUT": "20",
            "HUEY_BACKEND": "sqlite",
            "HUEY_SQLITE_PATH": str(self.dir / "huey.sqlite3"),
            "HUEY_WORKERS": "2",
            "OUTBOX_LEASE_SECONDS": "10",
            "WORKER_STOP_TIMEOUT": "5",
            "FEDERATION_RETRY_SECONDS": "1",
            "FEDERATION_MAX_ATTEMPTS": "30",
            "FEDERATION_TIMEOUT": "10",
            "FEDERATION_ALLOW_HTTP": "true",
            "EMAIL_BACKEND": "file",
            "LOG_LEVEL": "WARNING",
            "INSTANCE_NAME": name,
            "SITE_URL": f"http://127.0.0.1:{port}",
        }
        # The caller may be a pytest run (test settings, a test database): none of that leaks in.
        for name_ in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "TEST_DATABASE_NAME"):
            self.env.pop(name_, None)
        self.procs = []
        self.actor = None

    def start(self):
        if port_in_use(self.port):
            # Otherwise wait_up would find whatever else answers there and the run would test that.
            raise SystemExit(f"{self.slug}: port {self.port} on 127.0.0.1 is in use")
        server = [
            GUNICORN,
            "jembatan.wsgi",
            "-b",
            f"127.0.0.1:{self.port}",
            "-w",
            str(self.workers),
            "--timeout",
            "60",
            "--preload",
        ]
        worker = [PY, "manage.py", "run_worker", "-w", "2"]
        self.procs = [
            subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=open(self.dir / f"{name}.log", "a"),  # noqa: SIM115
            )
            for name, argv in (("server", server), ("worker", worker))
        ]

    def kill9(self):
        """Kill the web server and the worker (their whole process groups) at once."""
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        self.procs = []

    def wait_up(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(proc.poll() is not None for proc in self.procs):
                raise SystemExit(f"{self.slug} exited:\n{self.logs()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.slug} did not come up:\n{self.logs()}")

    def logs(self, tail=3000):
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}"
            for path in sorted(self.dir.glob("*.log"))
        )

    def act(self, *steps):
        """Run steps as this instance's people (scripts/federation_actor.py); their JSON answers."""
        if self.actor is None:
            self.actor = subprocess.Popen(
                [PY, "scripts/federation_actor.py"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=open(self.dir / "actor.log", "a"),  # noqa: SIM115
                text=True,
            )
        self.actor.stdin.write(json.dumps(steps) + "\n")
        self.actor.stdin.flush()
        line = self.actor.stdout.readline()
        if not line:
            raise SystemExit(f"{self.slug} actor failed:\n{(self.dir / 'actor.log').read_text()[-3000:]}")
        return json.loads(line)

    def stop_actor(self):
        if self.actor is not None:
            self.actor.stdin.close()
            self.actor.wait(timeout=30)
            self.actor = None

    def stop(self):
        self.stop_actor()
        self.kill9()

    def query(self, sql, *params):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def setup_step(self, peers, hosts, officers=()):
        """The actor's set-up: this instance, its peers (with their pair keys), which instance
        hosts which agency ((agency code, instance id) pairs) and officers to create
        ((username, full name, role, agency code); demo password, demo authenticator)."""
        return {
            "do": "setup",
            "self": self.slug,
            "name": self.name,
            "peers": [
                {"slug": p.slug, "name": p.name, "url": p.url, "secret": pair_secret(self.slug, p.slug)}
                for p in peers
                if p.slug != self.slug
            ],
            "hosts": [list(pair) for pair in hosts],
            "officers": [list(officer) for officer in officers],
        }


def ensure_static():
    """Collect the static files (hashed names, as production serves them) unless they are current."""
    # The Makefile's rule for the same manifest: rebuilt when a static source or the lock file changed.
    manifest = COLLECTED_STATIC / "staticfiles.json"
    sources = [p for p in (ROOT / "jembatan" / "static").rglob("*") if p.is_file()]
    sources.append(ROOT / "requirements.lock")
    if manifest.exists() and max(p.stat().st_mtime for p in sources) <= manifest.stat().st_mtime:
        return
    log("collecting static files (once, then whenever a source changes)")
    env = {**os.environ, "JEMBATAN_ENV": "development", "STATIC_ROOT": str(COLLECTED_STATIC)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    manifest.touch()


def prepare(instances):
    """Give each instance a copy of one migrated database with the regions and the demo directory
    and logins (seeded once per set of migrations and kept in var/), and the collected static files."""
    ensure_static()
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("jembatan/*/migrations/0*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())  # a changed migration reseeds
    stamp = digest.hexdigest()[:16]
    seed = ROOT / "var" / f"federation-seed-{stamp}.sqlite3"
    first = instances[0]
    if not seed.exists():
        log("seeding a database (migrate, regions, demo directory): about a minute, once")
        for args in (("migrate", "--no-input", "-v0"), ("load_regions", "--if-empty"), ("seed_demo",)):
            subprocess.run(
                [PY, "manage.py", *args], cwd=ROOT, env=first.env, check=True, stdout=subprocess.DEVNULL
            )
        with sqlite3.connect(first.db) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for old in (ROOT / "var").glob("federation-seed-*.sqlite3"):
            old.unlink()
        partial = seed.with_suffix(".partial")
        shutil.copy(first.db, partial)
        os.replace(partial, seed)  # another run seeding at once never copies half a file
    for instance in instances:
        if not instance.db.exists():
            shutil.copy(seed, instance.db)
