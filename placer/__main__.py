"""`python -m placer` and the `placer` console script."""

import sys


def main() -> None:
    from placer.cli import main as cli_main

    sys.exit(cli_main())


if __name__ == "__main__":
    main()
