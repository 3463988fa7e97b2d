"""Small typed readers for environment variables.

Each one fails loudly (ImproperlyConfigured naming the variable) on a value it cannot parse, so a
typo in a deployment's environment stops the process at start-up instead of silently falling back.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MISSING = object()


def _raw(name, environ):
    value = (environ if environ is not None else os.environ).get(name)
    if value is None or value.strip() == "":
        return _MISSING
    return value.strip()


def env_str(name, default=_MISSING, *, environ=None):
    value = _raw(name, environ)
    if value is _MISSING:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name, default=False, *, environ=None):
    value = _raw(name, environ)
    if value is _MISSING:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a boolean (use true/false).")


def env_int(name, default=_MISSING, *, minimum=None, maximum=None, environ=None):
    value = _raw(name, environ)
    if value is _MISSING:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is below the minimum {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} is above the maximum {maximum}.")
    return number


def env_list(name, default=(), *, environ=None):
    value = _raw(name, environ)
    if value is _MISSING:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} has an empty item.")
    return items


def env_choice(name, choices, default=_MISSING, *, environ=None):
    value = env_str(name, default, environ=environ)
    if value not in choices:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} must be one of: {', '.join(sorted(choices))}."
        )
    return value
