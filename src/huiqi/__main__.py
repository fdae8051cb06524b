"""`huiqi` and `python -m huiqi`. Importing the command line and building its commands take about half a second;
Ctrl-C meanwhile must end the command as it does later (exit 130, no traceback)."""

import sys

_lost_interrupts: list[BaseException] = []


def main() -> None:
    sys.unraisablehook = _keep_interrupts
    try:
        from huiqi.cli import app

        app(prog_name="huiqi")
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        if _lost_interrupts:
            sys.exit(130)
        raise
    except Exception as exc:  # a library loading when Ctrl-C came may report it as its own failure
        if _interrupted(exc):
            sys.exit(130)
        raise


def _keep_interrupts(unraisable) -> None:
    """Ctrl-C that lands in a callback Python cannot interrupt (an import lock's, a finaliser) would be printed
    with a traceback and lost, the command going on: it is kept, and the command then ends with 130."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        _lost_interrupts.append(unraisable.exc_value)
    else:
        sys.__unraisablehook__(unraisable)


def _interrupted(exc: BaseException | None) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


if __name__ == "__main__":
    main()
