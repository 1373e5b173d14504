#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if sys.version_info < (3, 12):  # noqa: UP036 - the one place that tells users clearly
    sys.exit(f"This project needs Python 3.12 or newer; this is {sys.version.split()[0]}.")


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuro.settings")
    # Command-line use (migrate, createsuperuser, load_knowledge_base...) works without a SECRET_KEY;
    # serving through gunicorn (neuro/wsgi.py) still requires one. Set LOCAL_RUN=0 to require it here too.
    os.environ.setdefault("LOCAL_RUN", "1")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
