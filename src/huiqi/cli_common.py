"""What every `huiqi` command shares: the consoles and `say`, JSON Lines out, the options named alike everywhere,
progress bars, and the error handler that turns a HuiqiError into its message and exit code."""

from __future__ import annotations

import json
import os
import signal
import sys
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from huiqi.clean import CONTROL
from huiqi.errors import HuiqiError

# Markup off: what is printed comes from documents, file names and queries, and '[/]' in one must not be read as
# a style (rich raised on it); styled words go through `say`.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)  # a message, a URL: one line in a log
LINE_SEPARATORS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON (JSON Lines for lists).")]
HomeOption = Annotated[Path | None, typer.Option("--home", envvar="HUIQI_HOME", help="Library data directory.")]


def say(*parts: str | tuple[str, str], console: Console = out) -> None:
    """Print strings and (string, style) pairs with control characters dropped: an ESC sequence in a document
    must not drive the terminal."""
    out_parts = [CONTROL.sub("", part) if isinstance(part, str) else (CONTROL.sub("", part[0]), part[1])
                 for part in parts]
    console.print(Text.assemble(*out_parts))


def _exit_on_signal(number: int, _frame) -> None:
    raise SystemExit(128 + number)


def handles_errors(command):
    """Print a HuiqiError's message (it says what to do) and exit with its code, without a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        for number in (signal.SIGTERM, signal.SIGHUP):  # `kill`, docker stop, a closed terminal: exit as Python
            signal.signal(number, _exit_on_signal)         # does, cleaning up (temporary folders) on the way
        try:
            return command(*args, **kwargs)
        except HuiqiError as exc:
            say(("error:", "red"), f" {exc}", console=err)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:  # `huiqi search … | head -1`: the reader has gone, and so do we, quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug: say so in one line; HUIQI_DEBUG=1 shows the traceback
            if os.environ.get("HUIQI_DEBUG"):
                raise
            if type(exc).__module__.startswith("sqlalchemy"):  # found when a query reads a damaged page, or locked
                say(("error:", "red"), f" the library database failed: {getattr(exc, 'orig', exc)}. If it is damaged "
                    "(malformed, not a database), move huiqi.db away and ingest the files again", console=err)
                raise typer.Exit(2) from None
            say(("internal error:", "red"), f" {exc!r:.300}; rerun with HUIQI_DEBUG=1 and report the traceback",
                console=err)
            raise typer.Exit(1) from None

    return wrapper


def progress_bars(as_json: bool) -> Progress:
    """Bars on stderr, for a person at a terminal only: never in JSON output, a pipe or a log."""
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True, disable=as_json or not err.is_terminal)


def emit_json(value) -> None:
    """One JSON value on one line. The line separators JSON leaves raw (U+2028, U+2029, U+0085) are escaped: a
    reader splitting on Unicode line breaks (Python's splitlines) must still see one line per value."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate (an undecodable byte of a path typed): written escaped
        text = json.dumps(value, default=str)
    sys.stdout.write(text.translate(LINE_SEPARATORS) + "\n")
