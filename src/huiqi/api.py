"""HTTP API: a thin FastAPI shell over Library. Parameters are validated (query ≤ 200 characters, k ≤ 100);
every error, including ones the code did not foresee, reaches the client as one JSON shape,
{"error": {"status": 404, "message": "…"}}, and never as a stack trace."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import socket
import time
from collections import OrderedDict
from dataclasses import asdict
from http import HTTPStatus
from typing import Annotated
from urllib.parse import unquote_to_bytes

import h11
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from huiqi import __version__
from huiqi.errors import HuiqiError
from huiqi.library import Library
from huiqi.search import Filters
from huiqi.search.query import MAX_QUERY_CHARS

log = logging.getLogger("huiqi.api")


class ErrorDetail(BaseModel):
    status: int
    message: str


class ErrorBody(BaseModel):
    """What every error sends; declared so /openapi.json documents it instead of FastAPI's {"detail": [...]}."""
    error: ErrorDetail


LEVEL_HELP = "national, provincial, municipal or county (国家级, 省级, 市级, 县级)"
DATE_HELP = "YYYY-MM-DD (or YYYYMMDD)"
CLIENT_TIMEOUT_S = 20.0  # to send a request's line and headers, or to read an answer (nginx allows 60 s each)
CLIENT_CONNECTIONS = 64  # open at once from one address: a browser opens 6; a proxy in front, one per request in flight
# Requests a second from one address, on average; twice as many may come at once. A search takes 2–3 ms of one core
# (a question citing ten laws by short names, up to 8): one client keeps at most a part of the server busy.
CLIENT_RATE = 50.0
ABSOLUTE_FORM = re.compile(r"https?://", re.IGNORECASE)
MAX_REQUEST_LINE = 16 * 1024  # and header line: uvicorn's h11 refuses a longer one (h11_max_incomplete_event_size)
TRACKED_ADDRESSES = 100_000  # the request rates kept: past this many addresses, the longest unheard is forgotten
ERRORS = {  # what each status an error comes with means, for /openapi.json
    400: "A parameter the route does not take, or given twice; a filter no document can meet; a query of nothing but "
         "spaces; a value that is not UTF-8",
    404: "No such document or provision",
    405: "A method other than GET or HEAD",
    408: f"The request's line and headers did not all come within the client timeout ({CLIENT_TIMEOUT_S:g} s by "
         "default)",
    422: f"A parameter out of its range: no query or one over {MAX_QUERY_CHARS} characters, k over 100",
    429: f"More connections open, or requests a second, from the client's address than the server allows "
         f"({CLIENT_CONNECTIONS}; {CLIENT_RATE:g} a second, in bursts of {2 * CLIENT_RATE:g}, by default); "
         "Retry-After says when to ask again",
    500: "An error the server did not foresee; its log has the details",
}


def answers(*statuses: int) -> dict[int | str, dict]:
    """The errors a route answers, for /openapi.json: its own, and those any request may get."""
    return {status: {"model": ErrorBody, "description": ERRORS[status]} for status in (*statuses, 405, 408, 429, 500)}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status, headers=headers)


class RequestForms:
    """Requests as HTTP/1.1 allows them, which FastAPI routes as they come:
    - HEAD answered as GET: uptime checks and `curl -I` send it, and FastAPI routes GET alone. The server's own scope
      keeps HEAD, so it sends the headers without the body.
    - A target in absolute form (`GET http://host/api/health`, as a client talking to a proxy sends it) read as its
      path: a server must accept it (RFC 9112 3.2.2), and uvicorn passes it on whole."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        if scope["type"] == "http" and ABSOLUTE_FORM.match(scope["path"]):
            raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            scope = {**scope, "path": _origin_form(scope["path"]), "raw_path": _origin_form(raw).encode("latin-1")}
        await self.app(scope, receive, send)


def _origin_form(target: str) -> str:
    """'http://host/api/health' → '/api/health'."""
    parts = target.split("/", 3)
    return "/" + (parts[3] if len(parts) == 4 else "")


class RequestRate:
    """At most `per_second` requests a second from one address, on average, and bursts of twice that: a token bucket
    an address. Past that, 429 with Retry-After, before the route runs."""

    def __init__(self, app: ASGIApp, per_second: float) -> None:
        self.app, self.per_second, self.burst = app, per_second, max(1.0, 2 * per_second)
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address → (requests it may still
        # send, when), the longest unheard first (a dict's first key is found past the deleted ones: O(n))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.per_second or not scope.get("client"):
            await self.app(scope, receive, send)
            return
        address, now = scope["client"][0], time.monotonic()
        allowed, then = self.buckets.pop(address, (self.burst, now))
        allowed = min(self.burst, allowed + (now - then) * self.per_second)
        if len(self.buckets) >= TRACKED_ADDRESSES:
            self.buckets.popitem(last=False)
        if allowed < 1:
            self.buckets[address] = (allowed, now)
            wait = (1 - allowed) / self.per_second
            response = error(429, f"more than {self.per_second:g} requests a second from your address; ask again in "
                                  f"{max(wait, 0.1):.1f} s", {"Retry-After": str(math.ceil(wait))})
            await response(scope, receive, send)
            return
        self.buckets[address] = (allowed - 1, now)
        await self.app(scope, receive, send)


class HuiqiHTTP(H11Protocol):
    """uvicorn's HTTP/1.1, with what it lacks against clients that hold connections (slowloris) or say nothing useful.
    - It answers a request that is not valid HTTP in plain text, before the app sees it; this says so in the API's
      error shape, with the usual cause where the client sent bytes that are not ASCII: a URL with Chinese typed as
      it is (curl sends it so).
    - It waits for a request's line and headers for ever. This gives a client `timeout` seconds from the connection,
      or from the end of the last answer, then answers 408 and closes; it closes without a word a connection that
      sent no byte of a request, or still trickles a body after its answer went out.
    - It waits for ever for a client to read its answers. A client that leaves the send buffer full for `timeout`
      seconds is cut off.
    - It lets one client open as many connections as the process has file descriptors, leaving none for others. This
      answers a connection beyond `per_client` open ones from the same address with 429, and closes it."""

    UNENCODED = ("the request is not valid HTTP: its URL holds Chinese or other characters that are not ASCII; "
                 "percent-encode them (q=%E8%B4%B4%E6%81%AF for 贴息; curl does it with -G --data-urlencode 'q=贴息')")
    INVALID = ("the request is not valid HTTP/1.1: send a request line, then headers that include Host, each line "
               f"shorter than {MAX_REQUEST_LINE // 1024} KB (an HTTP client does)")

    def __init__(self, *args, timeout: float = CLIENT_TIMEOUT_S, per_client: int = CLIENT_CONNECTIONS,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timeout = timeout
        self.per_client = per_client
        self.request_start = b""  # the first bytes of the request being read
        self.headers_timer: asyncio.TimerHandle | None = None
        self.reading_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        if b"\n" not in self.request_start:  # what the request line holds decides the advice a 400 gives
            self.request_start = (self.request_start + data)[:MAX_REQUEST_LINE]
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        line = self.request_start.partition(b"\n")[0]
        headers, body = _error_payload(400, self.INVALID if line.isascii() else self.UNENCODED)
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # adds this one to the server's open connections
        # asyncio turns Nagle's algorithm off only for sockets it made itself, not on connections to the listener
        # `serve` binds: each answer after the first on a kept-alive connection then waited 40 ms for an ACK
        if (connection := transport.get_extra_info("socket")) is not None and connection.family != socket.AF_UNIX:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        address = self.client[0] if self.client else None
        if address and sum(other.client is not None and other.client[0] == address
                           for other in self.connections) > self.per_client:
            self._refuse(429, f"more than {self.per_client} connections open from your address; "
                              "close some, or send your requests over fewer kept-alive connections")
            return
        self._await_headers()

    def on_response_complete(self) -> None:
        self.request_start = b""
        super().on_response_complete()
        self._await_headers()  # the next request on a kept-alive connection has as long as the first had

    def pause_writing(self) -> None:  # the send buffer is full: the client is not reading as fast as it is sent
        super().pause_writing()
        self.reading_timer = self.loop.call_later(self.timeout, self.transport.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        _cancel(self.reading_timer)

    def connection_lost(self, exc: Exception | None) -> None:
        _cancel(self.headers_timer)
        _cancel(self.reading_timer)
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        _cancel(self.headers_timer)
        self.headers_timer = self.loop.call_later(self.timeout, self._headers_late)

    def _headers_late(self) -> None:
        if self.transport.is_closing():
            return
        if self.conn.their_state is not h11.IDLE:
            if self.conn.our_state in (h11.DONE, h11.MUST_CLOSE):  # answered, and still sending a body no route reads
                self.transport.close()
            return  # else the request came and is being answered: the timer starts again when the answer is sent
        if not self.conn.trailing_data[0]:  # not a byte of a request: idle, closed as uvicorn's keep-alive closes it
            self.transport.close()
            return
        self._refuse(408, f"no complete request line and headers within {self.timeout:g} s; "
                          "send the whole request at once")

    def _refuse(self, status: int, message: str) -> None:
        """Answers before any request was read, and closes: h11 sends a response only to a request it has read, so
        this one is written as it goes on the wire."""
        headers, body = _error_payload(status, message)
        head = "".join(f"{name.decode()}: {value.decode()}\r\n" for name, value in headers)
        reason = HTTPStatus(status).phrase
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\n{head}\r\n".encode() + body)
        self.transport.close()


def _cancel(timer: asyncio.TimerHandle | None) -> None:
    if timer:
        timer.cancel()


def _error_payload(status: int, message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of an error the server sends itself, in the API's error shape."""
    body = json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False).encode()
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")], body


def known_parameters(request: Request) -> None:
    """A parameter the route does not take, or one given twice, is refused rather than ignored: `date_from=…`
    (for `since`) would otherwise filter nothing, silently. So is a value that is not UTF-8."""
    try:  # Starlette decodes bytes that are not UTF-8 (%FF) to U+FFFD rather than failing
        unquote_to_bytes(request.scope["query_string"]).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the query string is not valid UTF-8 text; percent-encode it as UTF-8") from None
    route = request.scope["route"]
    taken = [param.alias for param in route.dependant.query_params]
    names = [name for name, _ in request.query_params.multi_items()]
    unknown = [f"'{name[:40]}'" for name in dict.fromkeys(names) if name not in taken]
    if unknown:
        raise HTTPException(400, f"unknown parameter {', '.join(unknown[:3])}; {route.path} takes "
                                 f"{', '.join(taken) or 'no parameters'} (see /docs)")
    if twice := [name for name in dict.fromkeys(names) if names.count(name) > 1]:
        raise HTTPException(400, f"parameter '{twice[0]}' is given more than once; give it once")


# On the data routes; the liveness route takes whatever monitors add (?_=…), the root and the docs pages too.
STRICT = [Depends(known_parameters)]


def create_app(library: Library, requests_per_second: float = CLIENT_RATE) -> FastAPI:
    """`requests_per_second`: from one address (0: no limit)."""
    # No redirect of /api/search/ to /api/search: Starlette builds its Location from the client's Host header
    app = FastAPI(title="huiqi 惠企", version=__version__, redirect_slashes=False,
                  description="Policy library: documents, provisions and provision-level search.")
    app.add_middleware(RequestForms)
    app.add_middleware(RequestRate, per_second=requests_per_second)

    @app.exception_handler(HuiqiError)
    async def huiqi_error(_request: Request, exc: HuiqiError) -> JSONResponse:
        return error(exc.http_status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        return error(422, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Keep exc.headers: a 405 must still say which methods are allowed (Allow: GET).
        path = request.url.path.rstrip("/")
        scope = {"type": "http", "path": path, "method": "GET"}
        if exc.status_code == 404 and path != request.url.path and any(
                route.matches(scope)[0] == Match.FULL for route in app.routes):
            return error(404, f"Not Found: no such path; leave out the trailing / ({path[:100]})", exc.headers)
        if exc.status_code == 404:
            return error(404, "Not Found: no such path; the API is listed at /docs", exc.headers)
        if exc.status_code == 405 and exc.headers and exc.headers.get("Allow") == "GET":
            return error(405, str(exc.detail), {**exc.headers, "Allow": "GET, HEAD"})  # HEAD: see RequestForms
        return error(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return error(500, "internal error; the server log has the details")

    @app.get("/api/search", summary="Search provisions", responses=answers(400, 422), dependencies=STRICT)
    def search(q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Question or keywords")],
               k: Annotated[int, Query(ge=1, le=100)] = 10,
               region: Annotated[str | None, Query(max_length=40)] = None,
               level: Annotated[str | None, Query(max_length=10, description=LEVEL_HELP)] = None,
               issuer: Annotated[str | None, Query(max_length=60)] = None,
               genre: Annotated[str | None, Query(max_length=10)] = None,
               since: Annotated[str | None, Query(max_length=20, description=DATE_HELP)] = None,
               until: Annotated[str | None, Query(max_length=20, description=DATE_HELP)] = None,
               in_force: Annotated[str | None, Query(max_length=20, description=DATE_HELP)] = None,
               group: bool = False) -> dict:
        filters = Filters(region=region, level=level, issuer=issuer, genre=genre, date_from=since,
                          date_to=until, in_force=in_force)
        return library.search(q, k=k, filters=filters, group=group).to_dict()

    @app.get("/api/docs", summary="List documents", responses=answers(400, 422), dependencies=STRICT)
    def docs(source: Annotated[str | None, Query(max_length=255)] = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 100,
             offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> dict:  # le: SQLite INTEGER is 64-bit
        return {"total": library.document_count(source),
                "documents": [d.summary() for d in library.documents(source, limit, offset)]}

    @app.get("/api/docs/{doc_id}", summary="One document with its provision tree", responses=answers(400, 404, 422),
             dependencies=STRICT)
    def doc(doc_id: Annotated[str, Path(max_length=64)]) -> dict:
        return library.document(doc_id).to_dict()

    @app.get("/api/docs/{doc_id}/provisions/{eid}", summary="One provision", responses=answers(400, 404, 422),
             dependencies=STRICT)
    def provision(doc_id: Annotated[str, Path(max_length=64)], eid: Annotated[str, Path(max_length=255)]) -> dict:
        document, found = library.provision(doc_id, eid)
        return {"doc_id": doc_id, "doc_title": document.title, "source": document.source, **asdict(found)}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    @app.get("/api/health", summary="Liveness and library size", responses=answers())
    def health() -> dict:
        return {"status": "ok", "version": __version__, **library.summary()}

    return app
