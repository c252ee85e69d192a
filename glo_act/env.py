"""Strict readers for configuration from environment variables.

Every reader names the variable in its error, so a typo in a deployment fails loudly at start-up
instead of silently falling back to a default. `<NAME>_FILE` is honoured for secrets (Docker and
Kubernetes secrets are mounted as files).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, environ: dict[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def env_bool(name: str, default: bool, environ: dict[str, str] | None = None) -> bool:
    """A boolean: 1/true/yes/on or 0/false/no/off; anything else is an error naming `name`."""
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of {sorted(_TRUE | _FALSE)}."
    )


def env_int(name: str, default: int, environ: dict[str, str] | None = None) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.")


def env_str(name: str, default: str | None = None, environ: dict[str, str] | None = None):
    value = _raw(name, environ)
    return default if value is None else value


def env_list(name: str, default: list[str], environ: dict[str, str] | None = None) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str, default: str | None = None, environ: dict[str, str] | None = None):
    """A secret from `NAME`, or from the file named by `NAME_FILE`."""
    file_name = _raw(f"{name}_FILE", environ)
    if file_name is not None:
        try:
            with open(file_name, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}.")
    return env_str(name, default, environ)


def env_url(
    name: str,
    default: str | None,
    schemes: set[str],
    environ: dict[str, str] | None = None,
) -> str | None:
    """A URL whose scheme is one of `schemes`; a malformed one is an error naming `name`."""
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a non-numeric port
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid URL: {exc}.")
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name} must start with one of {sorted(s + '://' for s in schemes)}; "
            f"got scheme {parts.scheme!r}."
        )
    if parts.scheme not in {"sqlite", "console", "locmem", "dummy", "file"} and not parts.hostname:
        raise ImproperlyConfigured(f"{name} has no host name.")
    return value


def email_settings(url: str) -> dict[str, object]:
    """Django email settings from EMAIL_URL (smtp://, smtp+tls://, console://, locmem://, or
    file:///absolute/dir, which writes each message to a file there: what a test reads back
    from a worker process, whose locmem outbox it cannot see)."""
    parts = urlsplit(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+ssl": "django.core.mail.backends.smtp.EmailBackend",
    }
    result: dict[str, object] = {"EMAIL_BACKEND": backends[parts.scheme]}
    if parts.scheme == "file":
        result["EMAIL_FILE_PATH"] = parts.path
    if parts.scheme.startswith("smtp"):
        result.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=parts.port or (465 if parts.scheme == "smtp+ssl" else 587),
            EMAIL_HOST_USER=parts.username or "",
            EMAIL_HOST_PASSWORD=parts.password or "",
            EMAIL_USE_TLS=parts.scheme == "smtp+tls",
            EMAIL_USE_SSL=parts.scheme == "smtp+ssl",
        )
    return result
