"""Settings for Jembatan, read from the environment (see README "Configuration").

JEMBATAN_ENV selects the defaults: "production" (the default: secure, SECRET_KEY required),
"development" (what `make run` sets) or "test" (what the test suite sets).
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from jembatan.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("JEMBATAN_VAR_DIR", str(BASE_DIR / "var")))

JEMBATAN_ENV = env_choice("JEMBATAN_ENV", {"production", "development", "test"}, "production")
DEVELOPMENT = JEMBATAN_ENV in {"development", "test"}
TESTING = JEMBATAN_ENV == "test"

# --- Core -------------------------------------------------------------------------------------------
if DEVELOPMENT:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)
else:
    SECRET_KEY = env_str("SECRET_KEY")  # required: refuses to start without it
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long outside development.")
# Old keys, newest first, while rotating SECRET_KEY: sessions, signed links and access codes made
# under them still open (docs/upgrade.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

DEBUG = env_bool("DEBUG", JEMBATAN_ENV == "development")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEVELOPMENT else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
INSTANCE_NAME = env_str("INSTANCE_NAME", "Jembatan Sumatera Barat")
# The Kemendagri code of the instance's own province: its regions come first in the region search.
INSTANCE_PROVINCE = env_str("INSTANCE_PROVINCE", "13")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "jembatan.jobs",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "jembatan.directory",
    "jembatan.accounts",
    "jembatan.reports",
    "jembatan.notify",
    "jembatan.backoffice",
    "jembatan.ops",
    "jembatan.portal",
    "jembatan.workbench",
    "jembatan.api",
    "jembatan.intake",
    "jembatan.triage",
    "jembatan.insights",
    "jembatan.federation",
]

MIDDLEWARE = [
    # First: the request id, the access log line and the request metrics cover everything below.
    "jembatan.observability.RequestIdMiddleware",
    # An Open311 caller this process already refused is refused again here, before everything else.
    "jembatan.api.middleware.Open311EarlyRefusalMiddleware",
    # gzip for the REST API and Open311 when the client accepts it (never HTML pages: BREACH).
    "jembatan.middleware.ApiGzipMiddleware",
    # ETag and 304 for REST API and Open311 GETs (after gzip in the response order: hashes the body).
    "jembatan.middleware.ApiConditionalGetMiddleware",
    # Read-heavy GETs go to the replica when one is configured (jembatan/replica.py).
    "jembatan.replica.ReplicaMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files are served by the application itself in every mode (no separate web server
    # needed): hashed names get a far-future, immutable Cache-Control; gzip/brotli are pre-built.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jembatan.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jembatan.middleware.IndonesianFirstMiddleware",
    "jembatan.middleware.FormPostOnlyRedirectMiddleware",
    # Django's LocaleMiddleware without the path-prefix lookups (no URL has i18n_patterns).
    "jembatan.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "jembatan.middleware.DatabaseBusyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jembatan.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jembatan.urls"
WSGI_APPLICATION = "jembatan.wsgi.application"
ASGI_APPLICATION = "jembatan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jembatan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jembatan.sqlite3'}")
# Connections stay open between requests (each web thread and worker thread keeps its own) and are
# checked before reuse, so a restarted database costs one failed check, not a failed request.
# Opening a connection per request cost SQLite its -wal/-shm files and PostgreSQL a backend process.
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 0 if TESTING else 600, minimum=0)
# SQLite pragmas a server needs, run on every new connection (the file settings persist anyway).
SQLITE_PRAGMAS = {
    # Readers never wait for the writer and the writer never waits for readers.
    "journal_mode": "WAL",
    # With WAL, fsync only at checkpoints: a power cut may lose the last commits, never corrupt.
    "synchronous": "NORMAL",
    # Integrity the schema declares is checked by SQLite too (it is off by default).
    "foreign_keys": "ON",
    # Waits for the write lock, in milliseconds; also set through the driver's timeout below.
    "busy_timeout": str(env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1) * 1000),
    # About 32 MB of page cache per connection (negative = KiB) instead of the default 2 MB.
    "cache_size": str(-env_int("SQLITE_CACHE_KIB", 32768, minimum=2000)),
    # Sorts and temporary indexes in memory, not in a file under /var/tmp.
    "temp_store": "MEMORY",
    # Read the database through a 256 MB memory map: fewer read() calls, shared between connections.
    "mmap_size": str(256 * 1024 * 1024),
    # Checkpoint (copy the WAL back into the database file) every 4000 pages (16 MB), not SQLite's
    # 1000: an Open311 POST dirties ~45 pages (the report's 19 indexes, its event, outbox row, rate
    # counts and two full-text indexes), so at 1000 the committing request paid for a checkpoint
    # every ~20 POSTs, copying the same hot index pages again each time. Measured in process
    # (bench/profile_open311.py --only post --plain --posts 1500, alternating, load ~2.5):
    # 2.80–3.45 ms CPU a POST at 1000, 2.52–2.63 at 4000, 2.23–2.66 at 10000. Under gunicorn (2
    # workers, 8 clients, load 4.5–5.5) three alternating pairs were a draw (3.6–4.5 ms at 1000,
    # 3.6–4.5 at 4000): there each transaction re-reads the pages the other worker changed, and
    # more of them sit in the WAL (pread, not the memory map), which eats the gain. fdatasync a
    # POST went 0.49 → 0.14 (strace), which counts on a real disk. The checkpoint stays PASSIVE
    # and in the committing request (it blocks no reader or writer); larger, rarer ones would
    # stretch that one request's latency.
    "wal_autocheckpoint": str(env_int("SQLITE_WAL_AUTOCHECKPOINT", 4000, minimum=100)),
    # Truncate the WAL file back to 64 MB after a checkpoint so a burst does not keep it huge.
    "journal_size_limit": str(64 * 1024 * 1024),
}


def _parse_database(url, alias):
    try:
        db = dj_database_url.parse(url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{alias} is not a valid database URL: {exc}") from None
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if db["NAME"] != ":memory:":
            Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # IMMEDIATE takes the write lock at BEGIN so two writers queue on the busy timeout instead
        # of failing with "database is locked" mid-way.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1),
            "init_command": "".join(f"PRAGMA {k}={v};" for k, v in SQLITE_PRAGMAS.items()),
        }
        # Tests use a file, not Django's shared-cache in-memory database: only a file gives the real
        # WAL + busy-timeout locking that the concurrency tests must exercise.
        db["TEST"] = {"NAME": str(VAR_DIR / "test_jembatan.sqlite3")}
        # Django's backend with each statement's "%s" → "?" conversion remembered (jembatan/sqlite).
        db["ENGINE"] = "jembatan.sqlite"
    elif db["ENGINE"] == "django.db.backends.postgresql":
        db.setdefault("TEST", {})["NAME"] = env_str("TEST_DATABASE_NAME", "test_jembatan")
        # A dead server is noticed in seconds, not after the kernel's TCP timeout.
        db.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5, minimum=1)
        )
    else:
        raise ImproperlyConfigured(f"{alias} must be a sqlite:// or postgres:// URL.")
    return db


DATABASES = {"default": _parse_database(DATABASE_URL, "DATABASE_URL")}
# A PostgreSQL streaming replica for the read-heavy pages (jembatan/replica.py).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL primary (DATABASE_URL).")
    DATABASES["replica"] = _parse_database(DATABASE_REPLICA_URL, "DATABASE_REPLICA_URL")
    DATABASES["replica"]["OPTIONS"]["connect_timeout"] = env_int("REPLICA_CONNECT_TIMEOUT", 2, minimum=1)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["jembatan.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 10, minimum=0)
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 5, minimum=1)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 2, minimum=1)
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 5, minimum=1)
REPLICA_READ_PREFIXES = env_list(
    "REPLICA_READ_PREFIXES",
    ["/laporan/", "/lacak/", "/data/", "/api/v1/", "/open311/", "/kerja/laporan/", "/kerja/antrean/"],
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions and the job queue: one Redis for every process and node ---------------------------
# With REDIS_URL set, the cache (and with it every rate-limit counter), the sessions' cache layer and
# the Huey queue live in Redis, so all web processes and worker nodes share them.
REDIS_URL = env_str("REDIS_URL", "")
_cache_url = env_str("CACHE_URL", REDIS_URL)
if _cache_url.startswith("redis://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            # A Redis restart costs a request a short wait and an error, never a hung worker thread.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2, "retry_on_timeout": True},
        }
    }
elif _cache_url in ("", "locmem://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured("CACHE_URL must be redis://… or locmem://.")
# Public answers (Open311, the REST API's public reads, the portal's public pages) are cached
# under the public data version (reports/publication.py); an entry lives at most this long (what
# changes outside the actions, e.g. a category renamed, shows within it). 0 turns the cache off.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 300, minimum=0, maximum=86400)
# A bigger answer (an Open311 page of 1,000 in XML is about 0.6 MB) is built each time instead.
PUBLIC_CACHE_MAX_BYTES = env_int("PUBLIC_CACHE_MAX_BYTES", 1024 * 1024, minimum=0)
if REDIS_URL:
    # Sessions read from Redis and are written through to the database: a Redis restart logs nobody out,
    # and while Redis is down sessions are read from the database alone (accounts/sessions.py).
    SESSION_ENGINE = "jembatan.accounts.sessions"
# Where rate limits count (accounts/ratelimit.py). The counts must be shared by every worker, so the
# cache only when it is Redis; otherwise the database.
RATE_COUNTER = env_choice(
    "RATE_COUNTER", {"database", "cache"}, "cache" if _cache_url.startswith("redis://") else "database"
)
# Per-scope overrides of api/throttles.py DEFAULT_RATES, e.g. {"token": "600/min"} (tests set it).
API_THROTTLE_RATES = {}
# How long a web process may use its copy of an Open311 key (api/auth.py): a key revoked or given
# a new limit in another process stops working or changes within this many seconds (at once in the
# process that did it). 0: read the key on every request (the tests, unless they test the copy).
API_KEY_CACHE_SECONDS = env_int("API_KEY_CACHE_SECONDS", 0 if TESTING else 5, minimum=0, maximum=60)
# The same for the lookups every new report needs and admins rarely change: the Open311 service by
# its code (api/open311/mapping.py) and the working-day corrections (reports/sla.py).
LOOKUP_CACHE_SECONDS = env_int("LOOKUP_CACHE_SECONDS", 0 if TESTING else 10, minimum=0, maximum=300)
if RATE_COUNTER == "cache" and not _cache_url.startswith("redis://"):
    raise ImproperlyConfigured("RATE_COUNTER=cache needs a shared cache: set CACHE_URL=redis://….")

# --- Background jobs (Huey) -------------------------------------------------------------------------
_default_huey = "memory" if TESTING else ("redis" if REDIS_URL else "sqlite")
HUEY_BACKEND = env_choice("HUEY_BACKEND", {"sqlite", "redis", "memory"}, _default_huey)
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", TESTING)
HUEY_WORKERS = env_int("HUEY_WORKERS", 2, minimum=1, maximum=64)
HUEY = {
    "name": env_str("HUEY_NAME", "jembatan"),
    "immediate": HUEY_IMMEDIATE,
    "utc": True,
    "consumer": {"workers": HUEY_WORKERS, "worker_type": "thread", "periodic": True},
}
if HUEY_BACKEND == "sqlite":
    HUEY["huey_class"] = "huey.SqliteHuey"
    HUEY["filename"] = env_str("HUEY_SQLITE_PATH", str(VAR_DIR / "huey.sqlite3"))
    Path(HUEY["filename"]).parent.mkdir(parents=True, exist_ok=True)
elif HUEY_BACKEND == "redis":
    HUEY["huey_class"] = "huey.RedisHuey"
    HUEY["url"] = env_str("HUEY_URL", REDIS_URL or "redis://127.0.0.1:6379/0")
else:
    HUEY["huey_class"] = "huey.MemoryHuey"

# --- Reliable background work (jembatan/jobs): leases, heartbeats, outbox ---------------------------
# Nothing reads Huey's task results; storing one row per delivery only grew the queue database.
HUEY["results"] = False
HEARTBEAT_GRACE_MINUTES = env_int("HEARTBEAT_GRACE_MINUTES", 10, minimum=1)  # late = period + grace
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120, minimum=10)  # renewed while a send runs
OUTBOX_RECORD_RETRY_SECONDS = env_int("OUTBOX_RECORD_RETRY_SECONDS", 120, minimum=1)
WORKER_STOP_TIMEOUT = env_int("WORKER_STOP_TIMEOUT", 25, minimum=1)  # SIGTERM: finish, then hand back
# A busy database answers 503 with this Retry-After (seconds), never 500.
DATABASE_BUSY_RETRY_AFTER = env_int("DATABASE_BUSY_RETRY_AFTER", 5, minimum=1)

# --- Auth -------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["jembatan.accounts.backends.EmailPhoneOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests that are about hashing assert the Argon2 hasher directly.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Rounds of PBKDF2 for the stored access codes (reports.models.hash_access_code); few in tests.
ACCESS_CODE_HASH_ITERATIONS = env_int(
    "ACCESS_CODE_HASH_ITERATIONS", 1_000 if TESTING else 20_000, minimum=1_000
)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:my-reports"  # a citizen lands on their own reports (/saya/)
LOGIN_THROTTLE_LIMIT = env_int("LOGIN_THROTTLE_LIMIT", 5, minimum=1)
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 900, minimum=1)
# Failures of one (account, address) pair within a minute before it is slowed to a try a minute,
# and failures a minute from one address (any accounts) before that address is slowed down.
LOGIN_THROTTLE_SLOW_AFTER = env_int("LOGIN_THROTTLE_SLOW_AFTER", 3, minimum=1)
LOGIN_THROTTLE_IP_PER_MINUTE = env_int("LOGIN_THROTTLE_IP_PER_MINUTE", 20, minimum=1)
OTP_TOTP_ISSUER = INSTANCE_NAME
# Admin instansi, admin nasional and sysadmin must log in with a TOTP token (enrolling first if they
# have no authenticator yet). On everywhere but the unit tests, which turn it on where they test it;
# the demo's officers have authenticators with a published secret (`manage.py demo_totp`).
ACCOUNTS_REQUIRE_TOTP = env_bool("ACCOUNTS_REQUIRE_TOTP", not TESTING)

# --- Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", {"id", "en"}, "id")
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "jembatan" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "jembatan" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# `collectstatic` (run by `make setup` and by every deployment) writes each file under a name that
# carries its content hash, plus .gz and .br copies; WhiteNoise serves those with
# "Cache-Control: max-age=315360000, public, immutable". The test suite renders pages without a
# collected manifest, so it links the plain names (found through the finders).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "jembatan.staticfiles.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
if TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # nothing is collected; WhiteNoise warns without it

# --- E-mail -----------------------------------------------------------------------------------------
_email_backends = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_default_email = "locmem" if TESTING else ("file" if DEVELOPMENT else "smtp")
EMAIL_BACKEND = _email_backends[env_choice("EMAIL_BACKEND", set(_email_backends), _default_email)]
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Jembatan <noreply@jembatan.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Account limits ---------------------------------------------------------------------------------
ACCOUNTS_REGISTER_LIMIT_PER_IP = env_int("ACCOUNTS_REGISTER_LIMIT_PER_IP", 20, minimum=1)  # per hour
ACCOUNTS_RESET_LIMIT_PER_IP = env_int("ACCOUNTS_RESET_LIMIT_PER_IP", 10, minimum=1)  # reset codes per hour

# --- Portal limits ---------------------------------------------------------------------------------
PORTAL_SUBMIT_LIMIT_PER_IP = env_int("PORTAL_SUBMIT_LIMIT_PER_IP", 30, minimum=1)
PORTAL_SUBMIT_LIMIT_PER_USER = env_int("PORTAL_SUBMIT_LIMIT_PER_USER", 10, minimum=1)
PORTAL_ACCESS_CODE_LIMIT = env_int("PORTAL_ACCESS_CODE_LIMIT", 10, minimum=1)  # per report and address
ACCESS_CODE_WINDOW_SECONDS = env_int("ACCESS_CODE_WINDOW_SECONDS", 900, minimum=1)
PORTAL_SIMILAR_LIMIT_PER_IP = env_int("PORTAL_SIMILAR_LIMIT_PER_IP", 120, minimum=1)  # per 15 minutes

# --- Service levels ---------------------------------------------------------------------------------
# Overrides of reports.sla.SlaPolicy's fields (each cites its regulation there), e.g.
# {"verification_days": 3}. Not from the environment: a change of legal deadline is a code review.
JEMBATAN_SLA = {}

# --- REST API ---------------------------------------------------------------------------------------
# Overrides of api/throttles.py's rates per scope, e.g. {"submit": "20/hour"}.
API_THROTTLE_RATES = {}

# --- Triage -----------------------------------------------------------------------------------------
# Automatic routing of new reports the model is sure about: off by default (an instance decision).
TRIAGE_AUTO_ROUTE = env_bool("TRIAGE_AUTO_ROUTE", False)
TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE = (
    env_int("TRIAGE_AUTO_ROUTE_MIN_CONFIDENCE_PERCENT", 95, minimum=50, maximum=100) / 100
)
# Duplicates (triage/duplicates.py): candidates within this distance of the pin (when both reports
# have one), at most this many per look-up; closed reports stay candidates this many days; the
# calibrated score (a probability) from which a match is shown to the verifier, and the higher one
# from which the citizen is asked "is this the same problem?".
TRIAGE_DUPLICATE_RADIUS_METRES = env_int("TRIAGE_DUPLICATE_RADIUS_METRES", 250, minimum=10)
TRIAGE_DUPLICATE_MAX_CANDIDATES = env_int("TRIAGE_DUPLICATE_MAX_CANDIDATES", 60, minimum=5, maximum=500)
TRIAGE_DUPLICATE_CLOSED_DAYS = env_int("TRIAGE_DUPLICATE_CLOSED_DAYS", 30, minimum=0)
TRIAGE_DUPLICATE_VERIFIER_PERCENT = env_int("TRIAGE_DUPLICATE_VERIFIER_PERCENT", 50, minimum=1, maximum=99)
TRIAGE_DUPLICATE_CITIZEN_PERCENT = env_int("TRIAGE_DUPLICATE_CITIZEN_PERCENT", 80, minimum=1, maximum=99)

# --- Workbench --------------------------------------------------------------------------------------
# "Saya tangani": how long an officer's claim on a report holds before others may take it.
WORKBENCH_CLAIM_MINUTES = env_int("WORKBENCH_CLAIM_MINUTES", 30, minimum=1, maximum=24 * 60)
# How long after merging a report into another the verifier may undo it.
WORKBENCH_UNMERGE_MINUTES = env_int("WORKBENCH_UNMERGE_MINUTES", 15, minimum=1, maximum=24 * 60)

# --- Insights ---------------------------------------------------------------------------------------
INSIGHTS_EXPORT_DIR = Path(env_str("INSIGHTS_EXPORT_DIR", str(VAR_DIR / "exports")))  # large exports (task)
INSIGHTS_OPEN_DATA_DIR = Path(env_str("INSIGHTS_OPEN_DATA_DIR", str(VAR_DIR / "opendata")))
INSIGHTS_OPEN_DATA_LICENCE = env_str("INSIGHTS_OPEN_DATA_LICENCE", "CC BY 4.0")

# --- Open311, API and intake channels ---------------------------------------------------------------
OPEN311_JURISDICTION = env_str("OPEN311_JURISDICTION", "")  # default: SITE_URL's host without "www."
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "")
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", DEVELOPMENT)
# Only for development and tests: let webhooks reach a receiver on this machine (127.0.0.0/8, ::1).
# Every other non-global address (private, CGNAT 100.64/10, 6to4, link-local) is always refused.
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", False)
if WEBHOOK_ALLOW_LOOPBACK and not DEVELOPMENT:
    raise ImproperlyConfigured("WEBHOOK_ALLOW_LOOPBACK is for development and tests only.")
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10, minimum=1, maximum=60)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1, maximum=20)
WEBHOOK_LOG_RETENTION_DAYS = env_int("WEBHOOK_LOG_RETENTION_DAYS", 90, minimum=1)
# --- Federation (jembatan/federation, docs/federation.md) --------------------------------------------
# A signed message older or newer than this is refused (replay, clock skew between instances).
FEDERATION_CLOCK_WINDOW_SECONDS = env_int("FEDERATION_CLOCK_WINDOW_SECONDS", 300, minimum=5, maximum=3600)
FEDERATION_TIMEOUT = env_int("FEDERATION_TIMEOUT", 15, minimum=1, maximum=120)
FEDERATION_MAX_ATTEMPTS = env_int("FEDERATION_MAX_ATTEMPTS", 15, minimum=1, maximum=50)
# The wait after the first failed delivery; it doubles with each failure, up to an hour.
FEDERATION_RETRY_SECONDS = env_int("FEDERATION_RETRY_SECONDS", 30, minimum=1, maximum=3600)
# Peers over plain http (development and the test stage); production peers use https.
FEDERATION_ALLOW_HTTP = env_bool("FEDERATION_ALLOW_HTTP", DEVELOPMENT)
# SP4N-LAPOR! connector (federation/lapor.py, docs/lapor-adapter.md). The endpoint and token are per
# peer (`manage.py federation peer … --protocol sp4n-lapor`); what LAPOR!'s developer documentation
# (not public) says about the token's place, the body's keys and the answer's id goes here.
LAPOR_TOKEN_NAME = env_str("LAPOR_TOKEN_NAME", "KEYTOKEN")  # the parameter name LAPOR! published
LAPOR_TOKEN_IN = env_choice("LAPOR_TOKEN_IN", ("header", "body"), "header")
LAPOR_TRACKING_ID_FIELDS = env_list("LAPOR_TRACKING_ID_FIELDS", ("TrackingID", "Tracking ID", "trackingid"))
# Override some body keys, e.g. LAPOR_FIELD_NAMES="title=judul,text=isi" (names in lapor.field_names()).
LAPOR_FIELD_NAMES = {}
for _item in env_list("LAPOR_FIELD_NAMES", ()):
    _field, _sep, _key = (part.strip() for part in _item.partition("="))
    if not (_field and _sep and _key):
        raise ImproperlyConfigured(f"LAPOR_FIELD_NAMES item {_item!r} must read field=key.")
    LAPOR_FIELD_NAMES[_field] = _key
# The peer whose directory says which instance hosts which agency (the national hub); empty: no sync.
FEDERATION_HUB = env_str("FEDERATION_HUB", "")
FEDERATION_SYNC_MINUTES = env_int("FEDERATION_SYNC_MINUTES", 15, minimum=1, maximum=60)
# An instance with FEDERATION_HUB sends the hub its figures (federation/figures.py) this often, for
# the last FEDERATION_FIGURES_MONTHS months (a month's figures change while its reports are open).
FEDERATION_FIGURES_MINUTES = env_int("FEDERATION_FIGURES_MINUTES", 30, minimum=1, maximum=60)
FEDERATION_FIGURES_MONTHS = env_int("FEDERATION_FIGURES_MONTHS", 12, minimum=1, maximum=120)
# Attachments travel inside the signed report_forwarded message, up to this many bytes in all;
# the receiver refuses a message body larger than FEDERATION_MAX_BODY_BYTES.
FEDERATION_MAX_ATTACHMENT_BYTES = env_int(
    "FEDERATION_MAX_ATTACHMENT_BYTES", 8 * 1024 * 1024, minimum=0, maximum=30 * 1024 * 1024
)
FEDERATION_MAX_BODY_BYTES = env_int(
    "FEDERATION_MAX_BODY_BYTES", 12 * 1024 * 1024, minimum=1024 * 1024, maximum=48 * 1024 * 1024
)
CHANNELS_SMS_SECRET = env_str("CHANNELS_SMS_SECRET", "")  # empty: the webhook is off (404)
CHANNELS_WHATSAPP_SECRET = env_str("CHANNELS_WHATSAPP_SECRET", "")
CHANNELS_EMAIL_SECRET = env_str("CHANNELS_EMAIL_SECRET", "")
# The authserv-id our receiving mail server writes in Authentication-Results (e.g. mx.example.go.id).
# A reply quoting #nomor is attached to the report only when that header shows an aligned DKIM,
# SPF or DMARC pass; empty: no reply by e-mail is trusted, each is held for an officer.
CHANNELS_EMAIL_AUTHSERV_ID = env_str("CHANNELS_EMAIL_AUTHSERV_ID", "")
CHANNELS_MEDIA_ALLOWED_HOSTS = env_list("CHANNELS_MEDIA_ALLOWED_HOSTS", [])  # ".host" = subdomains too
CHANNELS_MEDIA_MAX_BYTES = env_int("CHANNELS_MEDIA_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
CHANNELS_MEDIA_ALLOW_HTTP = env_bool("CHANNELS_MEDIA_ALLOW_HTTP", DEVELOPMENT)
CHANNELS_IMAP_HOST = env_str("CHANNELS_IMAP_HOST", "")  # empty: no periodic mail fetch
CHANNELS_IMAP_SSL = env_bool("CHANNELS_IMAP_SSL", True)
CHANNELS_IMAP_PORT = env_int(
    "CHANNELS_IMAP_PORT", 993 if CHANNELS_IMAP_SSL else 143, minimum=1, maximum=65535
)
CHANNELS_IMAP_USER = env_str("CHANNELS_IMAP_USER", "")
CHANNELS_IMAP_PASSWORD = env_str("CHANNELS_IMAP_PASSWORD", "")
CHANNELS_IMAP_MAILBOX = env_str("CHANNELS_IMAP_MAILBOX", "INBOX")
CHANNELS_LOG_RETENTION_DAYS = env_int("CHANNELS_LOG_RETENTION_DAYS", 90, minimum=1)

# --- Notifications (jembatan/notify) ----------------------------------------------------------------
_notify_providers = {"file", "http"}
NOTIFY_SMS_PROVIDER = env_choice("NOTIFY_SMS_PROVIDER", _notify_providers, "file")
NOTIFY_SMS_HTTP_URL = env_str("NOTIFY_SMS_HTTP_URL", "")
NOTIFY_SMS_HTTP_TOKEN = env_str("NOTIFY_SMS_HTTP_TOKEN", "")
NOTIFY_WHATSAPP_PROVIDER = env_choice("NOTIFY_WHATSAPP_PROVIDER", _notify_providers, "file")
NOTIFY_WHATSAPP_HTTP_URL = env_str("NOTIFY_WHATSAPP_HTTP_URL", "")
NOTIFY_WHATSAPP_HTTP_TOKEN = env_str("NOTIFY_WHATSAPP_HTTP_TOKEN", "")
NOTIFY_HTTP_TIMEOUT = env_int("NOTIFY_HTTP_TIMEOUT", 10, minimum=1, maximum=120)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1, maximum=20)

# --- Security ---------------------------------------------------------------------------------------
SECURE = not DEVELOPMENT
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # probes speak plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- REST framework ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jembatan API",
    "DESCRIPTION": "REST API v1 untuk pengaduan pelayanan publik (SP4N-LAPOR!).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the vendored sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging ----------------------------------------------------------------------------------------
# JSON lines in production (one object per line, with the request id); readable lines elsewhere.
LOG_FORMAT = env_choice("LOG_FORMAT", {"json", "plain"}, "plain" if DEVELOPMENT else "json")
ACCESS_LOG = env_bool("ACCESS_LOG", not TESTING)  # one line per request (logger jembatan.request)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "jembatan.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "jembatan.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", {"DEBUG", "INFO", "WARNING"}, "INFO")},
    # The Huey consumer installs its own handler on "huey"; propagating too would print every line twice.
    "loggers": {"django.db.backends": {"level": "INFO"}, "huey": {"level": "INFO", "propagate": False}},
}

# --- Metrics (/metrics, Prometheus text format) -----------------------------------------------------
METRICS_TOKEN = env_str("METRICS_TOKEN", "")  # `Authorization: Bearer TOKEN` from anywhere
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.0/8", "::1"])  # or from these networks
