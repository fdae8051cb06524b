"""Search: provision-level Chinese retrieval (tantivy BM25 over words, title paths and bigrams)."""

from huiqi.search.index import SearchIndex
from huiqi.search.results import Filters, Hit, SearchResult

__all__ = ["Filters", "Hit", "SearchIndex", "SearchResult"]
