#!/usr/bin/env python
"""The clinic's management commands: ``python manage.py migrate``, ``check``, ``runserver``."""

import os
import sys
from pathlib import Path

# realtime/ is not pip-installed in this repository: it is two folders up, as an installed package
# would be on the path. A project that installs it needs no such line.
sys.path.append(str(Path(__file__).resolve().parents[2]))

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
