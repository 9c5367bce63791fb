#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "petland.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError:
        sys.exit("manage.py: Django is not installed here: run `make install`, then `source .venv/bin/activate`.")
    from django.core.exceptions import ImproperlyConfigured

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A configuration mistake (a missing secret key, a bad variable) is one line to fix, not a traceback.
        sys.exit(f"manage.py: {error}")


if __name__ == "__main__":
    main()
