"""``python -m trainpack``."""

from trainpack.cli import main

main()
