import sys

from desktop.console import setup_console

setup_console()  # Windows: output never fails on a Kazakh letter (a no-op elsewhere)

from desktop.cli import main  # noqa: E402

sys.exit(main())
