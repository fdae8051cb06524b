"""huiqi (惠企): Chinese policy compilations → a searchable, structured policy library.

    from huiqi import Library
    library = Library()                 # data under $HUIQI_HOME or the per-user data directory
    library.ingest(["../shared/corpus"])
    library.documents()
"""

from importlib import import_module as _import_module

TYPE_CHECKING = False  # not `from typing import …`: the command must start before anything heavy is imported
if TYPE_CHECKING:
    from huiqi.errors import HuiqiError
    from huiqi.library import Library
    from huiqi.records import Document, Provision

__all__ = ["Document", "HuiqiError", "Library", "Provision"]
__version__ = "0.1.0"
_HOMES = {"Document": "huiqi.records", "HuiqiError": "huiqi.errors", "Library": "huiqi.library",
          "Provision": "huiqi.records"}


def __getattr__(name: str):
    """The package's names are imported when first used, not with the package: `huiqi` (the command) imports
    its parts itself, and must be able to end quietly on Ctrl-C while it does (`huiqi.__main__`)."""
    if name in _HOMES:
        return getattr(_import_module(_HOMES[name]), name)
    if not name.startswith("_"):
        try:
            return _import_module(f"huiqi.{name}")  # a module, as `huiqi.errors` was before names were lazy
        except ModuleNotFoundError as exc:
            if exc.name != f"huiqi.{name}":
                raise
    raise AttributeError(f"module 'huiqi' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
