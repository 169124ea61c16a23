"""Settings for Between Sessions, read from the environment only.

Every value has a safe development default; with DEBUG off the app refuses to
start without its secrets. See .env.example for the full list.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def env_secret(name: str, default: str = "") -> str:
    """Read NAME_FILE (a Docker secret) when set, else NAME."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no setting; anything else refuses to start, because a typo in a
    protection (SECURE_SSL_REDIRECT=ture) must not quietly turn it off."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (or 1/0, yes/no), not {raw!r}.")


DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_secret("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-never-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

# Free text a person writes is encrypted with these Fernet keys (core/crypto.py):
# comma-separated, the first encrypts, all decrypt. Independent of SECRET_KEY.
FIELD_ENCRYPTION_KEYS = [
    key.strip() for key in env_secret("FIELD_ENCRYPTION_KEYS").split(",") if key.strip()
]
if DEBUG:
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [
        "ZGV2ZWxvcG1lbnQtb25seS1rZXktbmV2ZXItcHJvZCE="
    ]
elif not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")

SITE_NAME = "Between Sessions"
# Used to build absolute links in emails (invitations, reminders). In development,
# unless it is set, it follows the port the server runs on (bin/run passes PORT to the
# web server and the worker), so `PORT=8102 make run` emails links to port 8102.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
if not SITE_URL:
    SITE_URL = f"http://127.0.0.1:{env.int('PORT', default=8000) if DEBUG else 8000}"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "core",
    "accounts",
    "notifications",
    "appointments",
    "journal",
    "feedback",
    "prep",
    # Benchmarks: the seed_scale command and the bare view (bench/README.md).
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.middleware.UserTimezoneMiddleware",
    "core.middleware.PrivatePagesMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "config.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite is the embedded default; PostgreSQL when DATABASE_URL is set.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when configured, is both the Celery broker and the cache. The cache must be
# shared by every process: login rate limits and MFA code replay protection live there.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bs",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # Per process: fine for one development server, not for production, where each
    # worker would count sign-in guesses and used codes on its own.
    if not DEBUG and not env_bool("ALLOW_PROCESS_LOCAL_CACHE", default=False):
        raise ImproperlyConfigured(
            "REDIS_URL must be set when DEBUG is off: sign-in throttling and two-factor "
            "code replay protection need a cache every process shares. (Set "
            "ALLOW_PROCESS_LOCAL_CACHE=true only for a single-process deployment.)"
        )
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis broker when REDIS_URL is set, else kombu's filesystem transport, which
# lets `make run` start a real worker with no server at all.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"socket_connect_timeout": 2, "socket_timeout": 5}
    if REDIS_URL
    else {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        # kombu's default is a relative "control" folder wherever the worker starts.
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The whole periodic schedule, one entry per job, each with an expiry so a backlog
# after downtime does not run stale copies. Later features add their jobs here.
CELERY_BEAT_SCHEDULE = {
    "dispatch-outbox": {
        "task": "notifications.tasks.dispatch_outbox",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "plan-daily-emails": {
        "task": "notifications.tasks.plan_daily_emails",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    "prepare-upcoming-summaries": {
        "task": "prep.tasks.prepare_upcoming_summaries",
        "schedule": 600.0,
        "options": {"expires": 540},
    },
    "purge-submission-tokens": {
        "task": "core.tasks.purge_submission_tokens",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    # Own sessions' series keep their next weeks in place (appointments/series.py);
    # daily is plenty for an eight-week horizon.
    "materialise-session-series": {
        "task": "appointments.tasks.materialise_session_series",
        "schedule": 86400.0,
        "options": {"expires": 82800},
    },
}

# Email: SMTP (or any backend) from EMAIL_URL. Without it, messages are written to
# var/mail/, where the DEBUG-only mailbox at /dev/mailbox/ shows them.
if env.str("EMAIL_URL", default=""):
    EMAIL_CONFIG = env.email_url("EMAIL_URL")
    vars().update(EMAIL_CONFIG)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Between Sessions <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[Between Sessions] "
EMAIL_TIMEOUT = 10

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# allauth: email and password only, verified addresses, rate-limited attempts.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.PatientSignupForm"
ACCOUNT_FORMS = {
    "login": "accounts.allauth_forms.LoginForm",
    "signup": "accounts.allauth_forms.SignupForm",
    "reauthenticate": "accounts.allauth_forms.ReauthenticateForm",
    "change_password": "accounts.allauth_forms.ChangePasswordForm",
    "set_password": "accounts.allauth_forms.SetPasswordForm",
    "reset_password_from_key": "accounts.allauth_forms.ResetPasswordKeyForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# A new patient who confirms their address in the browser they signed up in is signed
# in and home; a link opened anywhere else still asks for the password.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Sessions end when the browser closes: shared and family computers are common.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = EMAIL_SUBJECT_PREFIX
ACCOUNT_PREVENT_ENUMERATION = True
# A reset asked for an address with no account sends nothing: the page says the same
# either way, and the app never writes to an address nobody registered.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    # Open to anyone: a few accounts a minute from one address, and a ceiling an hour.
    "signup": "5/m/ip,30/h/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Therapists and practice managers must turn on two-factor sign-in before they can
# see anything; on by default whenever DEBUG is off.
REQUIRE_STAFF_MFA = env_bool("REQUIRE_STAFF_MFA", default=not DEBUG)

# The support page ("Need help now", on every patient page and on sign-in; shown at
# once to a patient who reports thoughts of self-harm). Set CRISIS_RESOURCES to a JSON
# list of {"name", "contact", "detail", "phone", "sms"} for the deployment's country:
# "contact" is the words shown, "detail" is optional, and the optional "phone" and
# "sms" (a number or a list of numbers) become tap-to-call and tap-to-text links.
CRISIS_RESOURCES_DEFAULT = [
    {
        "name": "Emergency services",
        "contact": "Call your local emergency number: 999 (UK), 112 (EU), 911 (US)",
        "detail": "If you might act on these thoughts, or are in danger now.",
        "phone": ["999", "112", "911"],
    },
    {
        "name": "Samaritans (UK and Ireland)",
        "contact": "Call 116 123, free, any time",
        "detail": "Someone to talk to, day or night.",
        "phone": "116 123",
    },
    {
        "name": "988 Suicide & Crisis Lifeline (US)",
        "contact": "Call or text 988",
        "detail": "Free and confidential, 24 hours a day.",
        "phone": "988",
        "sms": "988",
    },
]
_DIALLABLE = set("+0123456789 -().")


def crisis_resources(raw) -> list[dict]:
    """CRISIS_RESOURCES checked at start-up, with "phone" and "sms" always lists: a
    number that cannot be dialled must never reach the page someone in danger opens."""

    def refuse(problem: str):
        raise ImproperlyConfigured(f"CRISIS_RESOURCES: {problem}")

    if not isinstance(raw, list) or not raw:
        refuse("must be a non-empty JSON list of resources.")
    checked = []
    for number, resource in enumerate(raw, start=1):
        if not isinstance(resource, dict):
            refuse(f"resource {number} must be an object.")
        for field in ("name", "contact"):
            if not isinstance(resource.get(field), str) or not resource[field].strip():
                refuse(f'resource {number} needs a "{field}".')
        if not isinstance(resource.get("detail", ""), str):
            refuse(f'resource {number}: "detail" must be text.')
        resource = {**resource}
        for field in ("phone", "sms"):
            numbers = resource.get(field) or []
            numbers = [numbers] if isinstance(numbers, str) else numbers
            if not isinstance(numbers, list) or not all(
                isinstance(n, str) and any(c.isdigit() for c in n) and set(n) <= _DIALLABLE
                for n in numbers
            ):
                refuse(f'resource {number}: "{field}" must be a number or a list of numbers.')
            resource[field] = numbers
        checked.append(resource)
    return checked


CRISIS_RESOURCES = crisis_resources(env.json("CRISIS_RESOURCES", default=CRISIS_RESOURCES_DEFAULT))

# The outbox every email leaves through (notifications/dispatch.py). A row claimed
# but not marked sent for this many seconds is taken to belong to a dead worker and
# is sent again.
REMINDER_CLAIM_TIMEOUT = env.int("REMINDER_CLAIM_TIMEOUT", default=300)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=6)
REMINDER_RETRY_BASE_SECONDS = env.int("REMINDER_RETRY_BASE_SECONDS", default=60)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=50)
# A daily email (the log nudge) not sent within this many minutes of its time is
# dropped as expired instead of arriving late; it never goes out outside 07:00–21:30
# in the person's own time zone either (notifications/daily.py).
DAILY_EMAIL_WINDOW_MINUTES = env.int("DAILY_EMAIL_WINDOW_MINUTES", default=120)

# Relationship feedback (feedback/alerts.py): an alert when any rating is at or below
# ITEM_MAX, the mean is under MEAN_BELOW, or the mean drops by DROP or more from the
# patient's own running mean of their previous three.
ALLIANCE_ALERT_ITEM_MAX = env.int("ALLIANCE_ALERT_ITEM_MAX", default=6)
ALLIANCE_ALERT_MEAN_BELOW = env.float("ALLIANCE_ALERT_MEAN_BELOW", default=9.0)
ALLIANCE_ALERT_DROP = env.float("ALLIANCE_ALERT_DROP", default=2.0)
FEEDBACK_EDITABLE_HOURS = env.int("FEEDBACK_EDITABLE_HOURS", default=48)

# Invitations a therapist sends are valid this long (seconds).
INVITATION_MAX_AGE = env.int("INVITATION_MAX_AGE", default=7 * 24 * 3600)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_USER_TIMEZONE = env.str("DEFAULT_USER_TIMEZONE", default="Europe/London")

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "core.storage.ManifestStorage"
        )
    },
}

# Security headers and cookies. Production sits behind TLS (a proxy sets
# X-Forwarded-Proto); /healthz stays reachable over plain HTTP for container checks.
# Messages can name a person, a symptom or an event: keep them server-side, not in
# a cookie, and encrypted in the session row (core/messages.py).
MESSAGE_STORAGE = "core.messages.EncryptedSessionStorage"
# The database backend, minus the transaction around an update (core/sessions.py).
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A form that fails the check is explained in plain words, and what was typed in it
# is given back to copy (config/views.py).
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
# Everything the pages load comes from this site; no inline script or style at all
# (charts colour with SVG attributes and CSS classes, print buttons use static/js/app.js).
# Bootstrap's form controls draw their arrows and ticks from data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # The offline daily log's service worker (/sw.js) and the app's manifest.
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint (summary PDFs, prep/pdf.py) logs every rendering step, and each
        # screen-only CSS rule of Bootstrap's it skips, on every PDF.
        "weasyprint": {"level": "ERROR"},
    },
}

# Anyone may create a patient account (a "solo" patient, whose therapist may not be
# on the app); off, patients join only by a therapist's invitation. Sign-up never
# makes a therapist or a manager: a practice manager invites each therapist.
OPEN_PATIENT_SIGNUP = env_bool("OPEN_PATIENT_SIGNUP", default=True)

# `make bench` measures every page against a bare "ok" view at /bench/ok, served
# through the same middleware and server; it exists only when this is on.
BENCH_BARE_VIEW = env_bool("BENCH_BARE_VIEW", default=False)
