"""`huiqi` and `python -m huiqi`. Importing the command line takes about half a second; Ctrl-C meanwhile must end
the command as it does later (exit 130, no traceback)."""

import sys


def main() -> None:
    try:
        from huiqi.cli import app
    except KeyboardInterrupt:
        sys.exit(130)
    app(prog_name="huiqi")


if __name__ == "__main__":
    main()
