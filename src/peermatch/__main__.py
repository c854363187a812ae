"""Allow ``python -m peermatch``."""

from peermatch.cli import main

if __name__ == "__main__":
    main()
