"""Sign-in, sessions, lockout and the HTTP security headers."""

from __future__ import annotations

from datetime import timedelta

from config.settings.environment import (
    DEBUG,
    env_bool,
    env_int,
)

# --- Authentication -----------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ewers.auth.MemberBackend",
]
# ASVS 2.1.1: at least 12 characters, plus Django's checks against the user's own
# details, common passwords and all-digit passwords.
PASSWORD_MIN_LENGTH = 12
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The number of reverse proxies in front of the site (the TLS proxy: 1). The client's
# address is the one the outermost of them saw (ewers.client.client_address); with 0 the
# connection's own address, and X-Forwarded-For is ignored.
EWERS_TRUSTED_PROXIES = env_int("EWERS_TRUSTED_PROXIES", 0)

# Lockout after failed passwords or second-factor codes, counted per username AND client
# address: failures from one address never lock the account for anyone elsewhere.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "ewers.client.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Accounts and two-factor sign-in (django-allauth) -----------------------------------

ACCOUNT_ADAPTER = "ewers.accounts.AccountAdapter"
# Accounts are issued by administrators: no self-signup (AccountAdapter.is_open_for_signup).
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# The changed password's own session goes on; every other one ends (Django checks each
# session against the password hash) and every API token is revoked (ewers.auth).
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_INPUT_RENDER_VALUE = False
ACCOUNT_PREVENT_ENUMERATION = True
# No "you have no account, sign up" mail for an unknown address: there is no signup.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[EWERS] "
ACCOUNT_RATE_LIMITS = {
    # Per address only: a per-username limit would let anyone lock a named user out.
    # The lockout per username and address is django-axes' (above).
    "login_failed": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_FORMS = {"login": "ewers.forms.LoginForm"}
MFA_ADAPTER = "ewers.accounts.SecondFactorAdapter"
MFA_FORMS = {
    "authenticate": "ewers.forms.SecondFactorForm",
    "authenticate_webauthn": "ewers.forms.SecurityKeyForm",
}
# The second factor is an authenticator app (TOTP) or a security key (WebAuthn), either
# backed by single-use recovery codes (made with the first of them). The API's token
# sign-in takes codes only (ewers.accounts.token_sign_in): a user with only a key adds an
# app, or spends a recovery code, to sign in to the API.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# A key is a second factor after the password, never a way in alone: no passkey sign-in
# or signup (the sign-in page asks for the password first, whoever you are).
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_PASSKEY_SIGNUP_ENABLED = False
# The password is the first factor, so the key is asked for presence (a touch), not for
# its PIN or fingerprint, as for every two-factor key (ASVS 2.9: single-factor device).
MFA_WEBAUTHN_USER_VERIFICATION = "discouraged"
# The relying party is the host name the browser asked for (allauth's default), and the
# origin must be that host over HTTPS, or http://localhost (a secure context browsers
# accept); browsers refuse keys on a bare IP address such as 127.0.0.1. Never true in
# production: a key's signature would be accepted from any origin.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
MFA_TOTP_ISSUER = "EWERS"
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
# One step either side, for a phone's clock a few seconds off; a code is used only once.
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODE_COUNT = 10
# Accounts are issued by administrators, so an unverified address is no attacker's.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# The roles that must sign in with a second factor (PRODUCT.md; ASVS 2.2, 4.3.1).
EWERS_SECOND_FACTOR_ROLES = ("coordinator", "admin")

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True


# --- HTTP security ------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The container's own health probe speaks plain HTTP on the loopback.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=1)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# No inline scripts anywhere; the map layer (later) needs blob: workers and data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
