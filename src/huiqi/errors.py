"""One exception tree. Every message is written for the person at the terminal or the API client:
it says what went wrong and, where it can, what to do about it."""


class HuiqiError(Exception):
    """Base class: the CLI prints the message and exits non-zero; the API returns it as JSON."""

    exit_code = 1
    http_status = 400


class UnreadableFile(HuiqiError):
    """A file that cannot be turned into text (empty, binary, damaged, encrypted, too large, unknown type)."""

    exit_code = 2
    http_status = 422


class NoDocuments(HuiqiError):
    """A readable file in which no policy document could be recognised."""

    exit_code = 3
    http_status = 422


class NotFound(HuiqiError):
    exit_code = 4
    http_status = 404


class BadRequest(HuiqiError):
    exit_code = 2
    http_status = 400
