"""Settings for keyaccounts, all taken from the environment.

With nothing set the app runs for development: DEBUG on, an SQLite file beside
manage.py, and Celery tasks run inline (no broker needed). `.env.example` lists
every variable. A bad value fails loudly at start rather than being ignored.
"""

import datetime
import os
import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from keyaccounts.postgres import SESSION_OPTIONS

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envrate(name: str, default: str) -> str:
    """A request rate as DRF's throttles read it: a count, a slash, a period."""
    value = (os.environ.get(name) or default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f"{name} must be a count per second, minute, hour or day (1200/min); got {value!r}"
        )
    return value


DEBUG = envbool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    # Content-Security-Policy header (CONTENT_SECURITY_POLICY below); the app registers
    # django-csp's checks of its settings.
    "csp",
    "keyaccounts",
    "accounts",
    "opportunities",
    "visits",
    "scoring",
    # Keeping key accounts (issue 13): apps of their own inside the app whose data they
    # are about; they register their reminders and page sections (keyaccounts.sections).
    "visits.complaints",
    "visits.reviews",
    "scoring.plans",
    "scoring.receivables",
    "keyaccounts.integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Early, so that every answer of a view or of the middleware below carries the policy.
    "csp.middleware.CSPMiddleware",
    # RateLimit-Limit/-Remaining/-Reset on every API answer (keyaccounts/api/throttling.py).
    "keyaccounts.api.throttling.RateLimitHeadersMiddleware",
    # SessionMiddleware that pushes a signed-in session's expiry back only now and then
    # (keyaccounts/sessions.py): the idle timeout without a session write per request.
    "keyaccounts.sessions.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person's saved language where the browser chose none (a cookie).
    "keyaccounts.user_language.UserLanguageMiddleware",
    # A query string that is no clean text (bad UTF-8, NUL) answers 400 naming the parameter.
    "keyaccounts.querystring.QueryStringMiddleware",
    # A page form's body that is no UTF-8 answers 400 naming the field (keyaccounts/formbody.py).
    "keyaccounts.formbody.FormBodyMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "keyaccounts.history.context.HistoryMiddleware",
    "keyaccounts.db_router.ReadYourWritesMiddleware",
    # Notes each write of a signed-in person: their page snapshots older than it are
    # computed again (keyaccounts/snapshots/).
    "keyaccounts.snapshots.services.SnapshotWritesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A page under a merged-away account leads to the same page of its survivor.
    "accounts.merged_links.MergedAccountLinksMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in refused for a lockout into its page (keyaccounts/lockout/).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "keyaccounts.urls"
WSGI_APPLICATION = "keyaccounts.wsgi.application"
ASGI_APPLICATION = "keyaccounts.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "visits.context_processors.header",
            ],
            # {% colon %}, {% lparen %} … in the page's language, in every template.
            # `|date` with the pages' formats written directly (keyaccounts/templatetags/dates.py).
            "builtins": ["keyaccounts.templatetags.typography", "keyaccounts.templatetags.dates"],
        },
    },
]
# Django's form renderer, its <select> written in Python (keyaccounts/formrender.py).
FORM_RENDERER = "keyaccounts.formrender.Renderer"

# Database: DATABASE_URL in the usual URL form, else an SQLite file beside manage.py.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Pages and a background scan may write at once; wait for the lock instead of failing.
    # IMMEDIATE: a transaction takes the write lock when it begins, so two that read and
    # then write cannot deadlock (SQLite would fail one at once, "database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # An index's included columns (accounts 0013, the regions by account id) are
    # PostgreSQL's: SQLite builds the index on its key alone, which is all it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # The planner's settings (no JIT; a random page read priced as from memory or SSD):
    # keyaccounts/postgres.py says why. An `options` in DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", SESSION_OPTIONS)
    # A database host that does not answer fails a request after this many seconds (a
    # 503, keyaccounts/health.py) instead of holding it for the system's TCP timeout.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
# A PostgreSQL streaming replica for read-only work (keyaccounts/db_router.py,
# docs/scaling.md): the dashboard, the board, API lists and the changes feed read it,
# except for a user who saved in the last READ_YOUR_WRITES_SECONDS. Unset: all reads
# go to the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    _engine = DATABASES["replica"]["ENGINE"]
    if _engine != DATABASES["default"]["ENGINE"] or "postgresql" not in _engine:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must name a PostgreSQL replica of DATABASE_URL's database."
        )
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("options", SESSION_OPTIONS)
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", 5)
    # Tests: the primary streams its test database to the replica, under the same name.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["keyaccounts.db_router.ReplicaRouter"]
# Pages may read the replica (the test suite turns this off: see test_settings).
REPLICA_READS = True
# How long a user who saved reads the primary only, so they see their write at once.
READ_YOUR_WRITES_SECONDS = envint("READ_YOUR_WRITES_SECONDS", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Team managers also hold the permissions of keyaccounts.integrations.backends (webhooks).
AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in of a locked-out user name or address (django-axes).
    "keyaccounts.lockout.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "keyaccounts.integrations.backends.ManagerPermissionsBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Reps fill long forms on the road: keep them signed in for two weeks of activity.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 14 * 24 * 3600)
# Signed out after SESSION_COOKIE_AGE of inactivity: a signed-in session's expiry is pushed
# back when its last push is older than this (a twentieth of the age: an idle user is
# signed out 95 to 100 % of SESSION_COOKIE_AGE after their last request), not on every
# request (SESSION_SAVE_EVERY_REQUEST wrote the session row on every GET).
SESSION_REFRESH_AFTER = envint("SESSION_REFRESH_AFTER", SESSION_COOKIE_AGE // 20)

# The client's address is REMOTE_ADDR, unless this many reverse proxies stand in front of
# the app and each appends to X-Forwarded-For (keyaccounts/clientip.py): the login
# lockout and the API's per-address throttle use it. 0: no proxy is trusted.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more; got {TRUSTED_PROXY_COUNT}")
# GET /healthz/ tells anyone only the overall status and each part's ok/degraded; staff
# signed in, and a monitor sending this value in the X-Healthz-Token header, see the
# details (timings, queue lengths, each periodic task's last run). Empty: staff only.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")
# Sign-in lockout (django-axes, keyaccounts/lockout/): after LOGIN_FAILURE_LIMIT failed
# sign-ins with one user name, or LOGIN_FAILURE_LIMIT_PER_ADDRESS from one address, within
# LOGIN_LOCKOUT_MINUTES, the login page and the API's token endpoint refuse that user name
# or address until the oldest counted failure is that many minutes old; the team's
# manager or an admin can lift it sooner (/lockouts/, or the admin's access attempts).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = envint("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 30)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)
for _name in ("LOGIN_FAILURE_LIMIT", "LOGIN_FAILURE_LIMIT_PER_ADDRESS", "LOGIN_LOCKOUT_MINUTES"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more; got {globals()[_name]}")
AXES_HANDLER = "keyaccounts.lockout.handler.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The handler applies each limit to its own parameter; axes itself locks at the larger.
AXES_FAILURE_LIMIT = max(LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT_PER_ADDRESS)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Failures while locked out are not counted: the time the user is told holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "keyaccounts.clientip.client_ip"
AXES_USERNAME_CALLABLE = "keyaccounts.lockout.handler.username_of"
AXES_LOCKOUT_CALLABLE = "keyaccounts.lockout.responses.lockout_response"
# Successful sign-ins are not logged (the table would grow without end); a success
# forgets that client's own failures with that user name (the handler).
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False

# Languages: the browser's choice, switchable in the page.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "keyaccounts" / "locale"]
# Dates shown one way in both languages, 2026-12-01 (keyaccounts/formats/shown.py).
FORMAT_MODULE_PATH = ["keyaccounts.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Development serves static files from the apps and static/ directly.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
# The file backend's folder (`make run` writes the demo's emails there: var/mail/).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
# Seconds an SMTP connection waits for the server at each step (Python's default is
# forever): a reminder email's claim outlasts it (visits/reminders.py).
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 15)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "keyaccounts@localhost")

# Production hardening: on whenever DEBUG is off, each can be turned off explicitly
# (for example SECURE_SSL_REDIRECT=0 behind a proxy that already redirects).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp, docs/reliability.md): everything from this origin,
# nothing inline — no <script> without src, no on*= handler, no <style>, no style= —
# so an injected tag or attribute does not run. No page may need 'unsafe-inline';
# keyaccounts/tests/test_csp.py renders every page and fails on inline code. Only the
# admin's History pages widen it, for that view alone and by one style's hash
# (keyaccounts/history/admin.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Celery: REDIS_URL gives it a real broker; without one, tasks run inline.
REDIS_URL = os.environ.get("REDIS_URL", "")

# Pages that add up everything a person sees (the dashboard, the win/loss analytics) show
# their figures as of a moment at most this many seconds ago, computed again on the
# person's next view after they saved anything or what they may see changed
# (keyaccounts/snapshots/). 0: always computed on the view. Needs REDIS_URL: the note
# that a person saved lives in the shared cache, which every web process must see;
# without it, 0.
SNAPSHOT_SECONDS = envint("SNAPSHOT_SECONDS", 300) if REDIS_URL else 0
# A snapshot its person viewed within this many seconds is computed again in the
# background (beat, every minute) this many seconds before it would go stale, and once a
# save of theirs has settled: their next view shows it at once instead of waiting for the
# figures (a whole company's dashboard: seconds). 0: only views compute.
SNAPSHOT_REFRESH_VIEWED_SECONDS = envint("SNAPSHOT_REFRESH_VIEWED_SECONDS", 3600)
SNAPSHOT_REFRESH_LEAD_SECONDS = envint("SNAPSHOT_REFRESH_LEAD_SECONDS", 90)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task whose worker was killed outright goes to another worker this long after it
    # was taken (the restore sweep looks every 2 s): within the 2 minutes promised
    # (docs/reliability.md). A longer task is redelivered while it still runs; it then
    # waits for the first run (keyaccounts.tasks.Task's advisory lock), never runs beside it.
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 90),
    "unacked_restore_interval": 2,
    "unacked_restore_throttle": 1,
}
# A task hung for half an hour (a prefork child) is killed; the next run redoes its work.
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 30 * 60)

# Where people open the app: the base of links in emails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Reminders (visits app). The database says what is due; the queue only nudges.
REMINDER_SCAN_INTERVAL_SECONDS = envint("REMINDER_SCAN_INTERVAL_SECONDS", 15 * 60)
# A reminder email claimed before a database restart, and not marked sent since, is taken
# again after this many seconds (its sender may have died in the outage; a sender's death
# with the database up frees its email at once: visits/reminders.py). A sender retries
# the mark of a sent email until 10 s before this, so it bounds the outage a sender rides
# out without sending an email twice.
REMINDER_EMAIL_CLAIM_SECONDS = envint("REMINDER_EMAIL_CLAIM_SECONDS", 60)
FOLLOW_UP_ESCALATION_DAYS = envint("FOLLOW_UP_ESCALATION_DAYS", 3)
# Days without contact before an account of each grade is flagged (ungraded: D).
CONTACT_RHYTHM_DAYS = {
    "A": envint("CONTACT_RHYTHM_A_DAYS", 14),
    "B": envint("CONTACT_RHYTHM_B_DAYS", 30),
    "C": envint("CONTACT_RHYTHM_C_DAYS", 60),
    "D": envint("CONTACT_RHYTHM_D_DAYS", 90),
}
# Working days (keyaccounts/workdays.py): comma-separated ISO dates. Holidays are
# weekdays off; extra workdays are weekend dates worked instead (China's 调休).
WORKDAY_HOLIDAYS = envlist("WORKDAY_HOLIDAYS", [])
WORKDAY_EXTRA_WORKDAYS = envlist("WORKDAY_EXTRA_WORKDAYS", [])

# Review meetings (visits/reviews): the account owner is reminded this many days ahead;
# A accounts are reviewed half-yearly, B yearly (others are not listed as missing one).
REVIEW_REMINDER_DAYS = envint("REVIEW_REMINDER_DAYS", 7)
REVIEW_PERIOD_BY_GRADE = {"A": "half", "B": "year"}

# Money risk (scoring/money/risk.py): the payment terms of an account that has none set.
DEFAULT_PAYMENT_TERMS_DAYS = envint("DEFAULT_PAYMENT_TERMS_DAYS", 30)

# Scoring. A change queues the account's rescore after this many seconds, so a burst of
# edits costs one run; every account is rescored nightly at SCORING_NIGHTLY_HOUR (local).
SCORING_RESCORE_DELAY_SECONDS = envint("SCORING_RESCORE_DELAY_SECONDS", 10)
SCORING_NIGHTLY_HOUR = envint("SCORING_NIGHTLY_HOUR", 1)
# Deal amounts in other currencies count in CNY at these rates (pipeline totals, scores).
CURRENCY_RATES_TO_CNY = {
    "CNY": "1",
    "USD": os.environ.get("CNY_PER_USD", "7.1"),
    "EUR": os.environ.get("CNY_PER_EUR", "7.7"),
}

# The recycle bin keeps deleted records this many days; then beat purges them for good.
RECYCLE_BIN_DAYS = envint("RECYCLE_BIN_DAYS", 90)
# The changes feed keeps deletions, removals from view and its access log this many
# days; an older cursor answers 410 resync_required (docs/api.md).
FEED_RETENTION_DAYS = envint("FEED_RETENTION_DAYS", 90)
# Webhooks (keyaccounts/integrations/, docs/api.md). A URL whose host is a loopback,
# private or link-local address is refused unless this is on (a receiver inside your
# own network): the server must not be a way into it. Checked again at each delivery.
WEBHOOK_ALLOW_PRIVATE = envbool("WEBHOOK_ALLOW_PRIVATE", False)
# Seconds to wait for a receiver's answer.
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 10)
# A failed delivery is retried after 30 s, 1 min, 2 min, … at most an hour apart, for
# this many hours; then the webhook is disabled and its owner told.
WEBHOOK_BACKOFF_SECONDS = envint("WEBHOOK_BACKOFF_SECONDS", 30)
WEBHOOK_BACKOFF_MAX_SECONDS = envint("WEBHOOK_BACKOFF_MAX_SECONDS", 3600)
WEBHOOK_RETRY_HOURS = envint("WEBHOOK_RETRY_HOURS", 24)
# Deliveries are kept in the log this many days after they were sent.
WEBHOOK_KEEP_DAYS = envint("WEBHOOK_KEEP_DAYS", 30)
# The admin's History pages read the change history; reverting from there would write
# around the services (and could bring back a deletion's flags), so it is off.
SIMPLE_HISTORY_REVERT_DISABLED = True

CELERY_BEAT_SCHEDULE = {
    "recycle-bin-purge": {
        "task": "keyaccounts.tasks.recycle_bin_purge",
        "schedule": crontab(hour=SCORING_NIGHTLY_HOUR, minute=30),
        "options": {"expires": 6 * 3600.0},
    },
    "feed-purge": {
        "task": "keyaccounts.tasks.feed_purge",
        "schedule": crontab(hour=SCORING_NIGHTLY_HOUR, minute=45),
        "options": {"expires": 6 * 3600.0},
    },
    # Every account, nightly: days to close and since contact move with the calendar,
    # and pins expire.
    "scoring-rescore-all": {
        "task": "scoring.tasks.rescore_all",
        "schedule": crontab(hour=SCORING_NIGHTLY_HOUR, minute=0),
        "options": {"expires": 6 * 3600.0},
    },
    # The safety net under the coalesced nudges: requests a lost message left behind.
    "scoring-rescore-pending": {
        "task": "scoring.tasks.rescore_pending",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
    "reminders-scan": {
        "task": "visits.tasks.reminders_scan",
        "schedule": float(REMINDER_SCAN_INTERVAL_SECONDS),
        # Scans queued while no worker ran are dropped: the next one does all their work.
        "options": {"expires": float(REMINDER_SCAN_INTERVAL_SECONDS)},
    },
    "jobs-purge": {
        "task": "keyaccounts.integrations.tasks.job_purge",
        "schedule": crontab(hour=SCORING_NIGHTLY_HOUR, minute=50),
        "options": {"expires": 6 * 3600.0},
    },
    # Bulk jobs whose run was lost (Redis down at the nudge, a worker killed): resumed.
    "jobs-resume-stalled": {
        "task": "keyaccounts.integrations.tasks.job_resume_stalled",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # Webhooks: retries whose time has come, and changes whose nudge was lost.
    "webhooks-deliver-due": {
        "task": "keyaccounts.integrations.tasks.webhook_deliver_due",
        "schedule": 30.0,
        "options": {"expires": 30.0},
    },
    "webhooks-outbox-purge": {
        "task": "keyaccounts.integrations.tasks.webhook_outbox_purge",
        "schedule": crontab(hour=SCORING_NIGHTLY_HOUR, minute=45),
        "options": {"expires": 6 * 3600.0},
    },
    # Page snapshots viewed lately, computed again before they go stale
    # (keyaccounts/snapshots/: SNAPSHOT_REFRESH_VIEWED_SECONDS).
    "snapshots-refresh": {
        "task": "keyaccounts.tasks.snapshots_refresh",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    # Page snapshots no view can show any more (keyaccounts/snapshots/).
    "snapshots-purge": {
        "task": "keyaccounts.tasks.snapshots_purge",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    # Export files prepared in the background, past their time (keyaccounts/exports/).
    "export-files-purge": {
        "task": "keyaccounts.exports.tasks.export_files_purge",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    # The API promises to remember Idempotency-Keys for at least 24 hours; kept 48.
    "idempotency-keys-purge": {
        "task": "keyaccounts.tasks.idempotency_keys_purge",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
# A nudge to a broker that is down must not hold a page for long.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
# One queue per kind of work, so each can get workers of its own (docs/scaling.md):
# `celery -A keyaccounts worker -Q scoring`. A worker started without -Q consumes them all.
# By the task's name, the first pattern it matches: an import's task is named
# `<app>.tasks.import_<what>`, a webhook delivery's `<app>.tasks.webhook_<what>` (or
# either lives in an `imports`/`webhooks` module); anything else goes to `default`.
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("default", "reminders", "scoring", "imports", "webhooks", "jobs")
]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "*.tasks.import_*": {"queue": "imports"},
    "*.imports.*": {"queue": "imports"},
    "*.tasks.webhook_*": {"queue": "webhooks"},
    "*.webhooks.*": {"queue": "webhooks"},
    # Bulk jobs (POST /api/v1/jobs/): `<app>.tasks.job_<what>`.
    "*.tasks.job_*": {"queue": "jobs"},
    "visits.tasks.*": {"queue": "reminders"},
    "scoring.tasks.*": {"queue": "scoring"},
}

# Bulk jobs (docs/api.md): the largest input taken (413 beyond), how long a worker runs
# one job before queueing the rest (under the visibility timeout), and after how long
# without progress beat's sweep runs an unfinished job again.
BULK_JOB_MAX_BYTES = envint("BULK_JOB_MAX_BYTES", 200 * 1024 * 1024)
BULK_JOB_SLICE_SECONDS = envint("BULK_JOB_SLICE_SECONDS", 60)
BULK_JOB_STALL_SECONDS = envint("BULK_JOB_STALL_SECONDS", 180)
# Finished jobs are kept this long (their input and results: up to 200 MB each).
BULK_JOB_KEEP_DAYS = envint("BULK_JOB_KEEP_DAYS", 14)
# Exports (keyaccounts/exports/): a list of more rows than this is not written while the
# browser waits but prepared as a file by a worker of the `jobs` queue (10,000 accounts
# as XLSX take about 3.5 s, the web worker stops at 60), and kept this many hours.
EXPORT_DIRECT_ROWS = envint("EXPORT_DIRECT_ROWS", 10_000)
EXPORT_FILE_KEEP_HOURS = envint("EXPORT_FILE_KEEP_HOURS", 24)
# A bulk upsert's items (a job's chunk, a POST <type>/bulk/) of accounts, contacts,
# visits or deals are written set-based by the import's check and write when their
# results are exactly the per-item path's (keyaccounts/api/setbased.py).
BULK_SET_BASED = envbool("BULK_SET_BASED", True)

# Cache: Redis when REDIS_URL is set, so every web process shares the API's throttle
# counts; otherwise each process keeps its own in memory. While Redis does not answer,
# each process falls back to its own memory and logs a warning (keyaccounts/cache.py);
# the timeouts keep a Redis that hangs from holding a page.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "keyaccounts.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "keyaccounts",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if DATABASE_REPLICA_URL:
        # Read-your-writes marks live in the cache: a process's own memory would keep a
        # user's mark from the other web processes, which would then read the replica.
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs REDIS_URL (a shared cache).")

# The REST API under /api/v1/ (docs/api.md). Token first: a request without credentials
# then answers 401 with `WWW-Authenticate: Token`; the browser's session works too.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Integration tokens (ka_…) first; it passes any other key on to the next.
        "keyaccounts.integrations.auth.IntegrationTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # What an integration token may do (read/write, record types): a view that sets
        # its own permission_classes lists this too.
        "keyaccounts.integrations.permissions.IntegrationTokenScope",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's JSON, written by orjson: the same bytes, a fifth of the time (api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["keyaccounts.api.renderers.JSONRenderer"],
    # A `?format=` of no renderer answers 406 naming it (DRF's own: 404 "Not found.").
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "keyaccounts.api.negotiation.ContentNegotiation",
    # JSON with limits: a body too large answers 413, one nested too deep 400 (not 500).
    "DEFAULT_PARSER_CLASSES": ["keyaccounts.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "keyaccounts.api.pagination.PageNumberPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "keyaccounts.api.throttling.UserRateThrottle",
        "keyaccounts.api.throttling.AnonRateThrottle",
    ],
    "EXCEPTION_HANDLER": "keyaccounts.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "keyaccounts.api.schema.AutoSchema",
    # No OPTIONS introspection: it answers 405 like any method an endpoint lacks.
    "DEFAULT_METADATA_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per client and period ("1200/min", "20/s", "50000/day"): per user for signed-in
# clients (a token belongs to one user), per IP address for the token endpoint.
API_THROTTLE_RATE = envrate("API_THROTTLE_RATE", "1200/min")
API_ANON_THROTTLE_RATE = envrate("API_ANON_THROTTLE_RATE", "60/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "keyaccounts API",
    "DESCRIPTION": "Accounts, contacts, visits and opportunities, with a sync contract "
    "(ETag/If-Match, Idempotency-Key, external ids, a changes feed). See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The `tags` list: one per resource, described by its viewset (keyaccounts/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "keyaccounts.api.schema.describe_tags",
        "keyaccounts.api.schema.add_links",
        "keyaccounts.api.schema.blank_or_format",
        "keyaccounts.api.schema.upserts_take_what_changes",
    ],
    # Served from the drf-spectacular-sidecar package: no CDN, so the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set used by several fields.
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "accounts.models.Level",
        "AttitudeEnum": "accounts.models.Attitude",
        "AccountStatusEnum": "accounts.models.AccountStatus",
        "VisitStatusEnum": "visits.models.VisitStatus",
        "GradeEnum": "scoring.models.Grade",
        "DevelopmentResultEnum": "visits.models.DevelopmentResult",
        # A deal's contacts and team (opportunities API) name both `role`.
        "BuyingRoleEnum": "accounts.models.BuyingRole",
        "TeamRoleEnum": "accounts.models.AccountTeamRole",
        # Issue 13's types: `kind` (a deal's, a plan advantage's) and `status` (a
        # complaint's, a review's, an approval's, a bulk job's) each name several sets.
        "OpportunityKindEnum": "opportunities.models.OpportunityKind",
        "AdvantageEnum": "scoring.plans.models.Advantage",
        "ComplaintStatusEnum": "visits.complaints.models.ComplaintStatus",
        "ReviewStatusEnum": "visits.reviews.models.ReviewStatus",
        "ApprovalStatusEnum": "opportunities.models.ApprovalStatus",
        "JobStatusEnum": "keyaccounts.integrations.jobs.models.JobStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own messages (a 404 or 400 is a warning of django.request) through the
        # root's handler, at LOG_LEVEL too: Django's default gave them a console of their
        # own at INFO whenever DEBUG was on, which LOG_LEVEL could not quieten.
        "django": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "django.db.backends": {"level": "INFO"},
    },
}
