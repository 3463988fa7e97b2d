#!/usr/bin/env python
"""Django's command-line utility for Jembatan."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jembatan.settings")
    # A bare checkout (nothing configured: no JEMBATAN_ENV, SECRET_KEY or DATABASE_URL) is a developer's
    # machine: `manage.py makemigrations --check`, `shell`, `test` work there without set-up. Anything
    # configured keeps the production default, which refuses to start without a SECRET_KEY; the web
    # server (wsgi.py/asgi.py) never takes this shortcut.
    if not any(os.environ.get(name) for name in ("JEMBATAN_ENV", "SECRET_KEY", "DATABASE_URL")):
        os.environ["JEMBATAN_ENV"] = "development"
        # Said out loud: on a server where the environment was forgotten this must not pass unseen.
        print(
            "manage.py: nothing configured (no JEMBATAN_ENV, SECRET_KEY or DATABASE_URL): running as "
            "JEMBATAN_ENV=development. Set JEMBATAN_ENV=production on a server.",
            file=sys.stderr,
        )
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
