"""huiqi (惠企): Chinese policy compilations → a searchable, structured policy library.

    from huiqi import Library
    library = Library()                 # data under $HUIQI_HOME or the per-user data directory
    library.ingest(["../shared/corpus"])
    library.documents()
"""

from huiqi.errors import HuiqiError
from huiqi.library import Library
from huiqi.records import Document, Provision

__all__ = ["Document", "HuiqiError", "Library", "Provision"]
__version__ = "0.1.0"
