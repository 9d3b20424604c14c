"""``python -m portal`` is the ``lantern`` command."""

from portal.cli import main

main()
