"""The HTTP API on a real server on loopback (`huiqi serve` in a subprocess), called with httpx."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from conftest import pdf_lines
from huiqi.library import Library
from test_search import JIANGSU, NATIONAL


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("api") / "home"
    library = Library(home)
    for name, text in (("national.txt", NATIONAL), ("jiangsu.txt", JIANGSU)):
        path = home.parent / name
        path.write_text("\n".join(pdf_lines(text)), encoding="utf-8")
        library.ingest_file(path)
    process, base = serve(home, "--client-rate", "0")  # the tests ask faster than a client may (see below)
    yield httpx.Client(base_url=base, timeout=10)
    process.terminate()
    process.wait(timeout=10)


def serve(home, *options: str) -> tuple[subprocess.Popen, str]:
    """`huiqi serve` on a free loopback port, once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "huiqi", "serve", "--port", str(port), "--home", str(home),
                                *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"server did not start: {process.stderr.read().decode()}")


def assert_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    body = response.json()
    assert list(body) == ["error"] and body["error"]["status"] == status
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body["error"]["message"]


def test_search_returns_the_contract(server):
    body = server.get("/api/search", params={"q": "招了应届生有补贴吗", "k": 3}).json()
    assert list(body) == ["query", "took_ms", "hits"]
    assert body["hits"][0]["citation"] == "《国务院办公厅关于进一步支持小型微型企业发展的意见》二、"
    assert list(body["hits"][0]) == ["doc_id", "doc_title", "eid", "citation", "text", "score", "source",
                                     "source_lines"]


def test_search_filters_and_grouping(server):
    body = server.get("/api/search", params={"q": "贴息", "region": "江苏", "group": "true"}).json()
    ids = [hit["doc_id"] for hit in body["hits"]]
    assert len(ids) == len(set(ids)) >= 2
    provincial = server.get("/api/search", params={"q": "贴息", "level": "省级"}).json()["hits"]
    assert {hit["doc_title"] for hit in provincial} == {"江苏省财政厅关于实施“苏质贷”小微企业贴息政策的通知"}


def test_search_by_document_number_lists_the_document(server):
    hits = server.get("/api/search", params={"q": "苏财金[2024]25号", "k": 10}).json()["hits"]
    assert [hit["citation"].rpartition("》")[2] for hit in hits] == ["", "一、", "二、"]
    assert {hit["doc_title"] for hit in hits} == {"江苏省财政厅关于实施“苏质贷”小微企业贴息政策的通知"}


def test_documents_and_provisions(server):
    listing = server.get("/api/docs").json()
    assert listing["total"] == 2 and listing["documents"][0]["source"] in ("jiangsu.txt", "national.txt")
    doc_id = listing["documents"][0]["id"]
    document = server.get(f"/api/docs/{doc_id}").json()
    eid = document["provisions"][1]["eid"]
    provision = server.get(f"/api/docs/{doc_id}/provisions/{eid}").json()
    assert provision["eid"] == eid and provision["doc_id"] == doc_id and provision["citation"]


def test_document_listing_pages_and_filters_by_source(server):
    everything = server.get("/api/docs").json()["documents"]
    second = server.get("/api/docs", params={"limit": 1, "offset": 1}).json()
    assert second["total"] == 2 and [d["id"] for d in second["documents"]] == [everything[1]["id"]]
    assert second["documents"][0]["provisions"] == everything[1]["provisions"] > 0
    jiangsu = server.get("/api/docs", params={"source": "jiangsu.txt"}).json()
    assert jiangsu["total"] == 1 and jiangsu["documents"][0]["source"] == "jiangsu.txt"
    assert server.get("/api/docs", params={"source": "nowhere.txt"}).json() == {"total": 0, "documents": []}


@pytest.mark.parametrize(("path", "params", "status", "words"), [
    ("/api/search", {}, 422, "q"),
    ("/api/search", {"q": "贴" * 201}, 422, "200"),
    ("/api/search", {"q": "贴息", "k": 101}, 422, "k"),
    ("/api/search", {"q": "贴息", "k": 0}, 422, "k"),
    ("/api/search", {"q": "贴息", "since": "yesterday"}, 400, "'yesterday' is not a date; use YYYY-MM-DD"),
    ("/api/search", {"q": "贴息", "since": "1714521600"}, 400, "is not a date"),  # no Unix time, as in the CLI
    ("/api/search", {"q": "贴息", "in_force": "0"}, 400, "is not a date"),
    ("/api/search", {"q": "贴息", "level": "galactic"}, 400, "unknown level"),
    ("/api/search", {"q": "贴息", "region": "火星"}, 400, "unknown region"),
    ("/api/docs/nope", {}, 404, "no document"),
    ("/api/docs/..%2F..%2Fetc%2Fpasswd", {}, 404, "/docs"),
    ("/api/nowhere", {}, 404, "no such path"),
    ("/api/search/", {"q": "贴息"}, 404, "leave out the trailing / (/api/search)"),  # not a redirect off Host
    ("/api/nowhere/", {}, 404, "no such path; the API is listed at /docs"),  # no route without the / either
    ("/api/search", {"q": "\x00"}, 400, "empty query"),
    ("/api/docs/nope", {}, 404, "GET /api/docs lists the ids"),
    ("/api/search", {"q": "贴息", "k": "9" * 30}, 422, "k"),
    ("/api/docs", {"offset": -1}, 422, "offset"),
    ("/api/docs", {"offset": 2**63}, 422, "offset"),  # past SQLite's 64-bit INTEGER
    ("/api/docs", {"limit": 2**63}, 422, "limit"),
    ("/api/docs/" + "a" * 5000, {}, 422, "64 characters"),
    ("/api/search", {"q": "贴息", "date_from": "2024-01-01"}, 400, "unknown parameter 'date_from'; /api/search takes q"),
    ("/api/docs", {"limit": 1, "x" * 1000: 1}, 400, "unknown parameter '" + "x" * 40 + "'; /api/docs takes source"),
    ("/api/search", {"q": ["贴息", "补贴"]}, 400, "parameter 'q' is given more than once"),
    ("/api/docs/nope", {"full": 1}, 400, "/api/docs/{doc_id} takes no parameters"),
])
def test_errors_have_one_shape_and_no_stack_trace(server, path, params, status, words):
    assert words in assert_error(server.get(path, params=params), status)


def test_dates_are_read_as_the_cli_reads_them(server):
    dated = server.get("/api/search", params={"q": "贴息", "since": "2024-03-01"}).json()["hits"]
    assert dated and all(server.get("/api/search", params={"q": "贴息", "since": since}).json()["hits"] == dated
                         for since in ("20240301", "２０２４-０３-０１"))


def test_missing_provision_and_wrong_method(server):
    doc_id = server.get("/api/docs").json()["documents"][0]["id"]
    assert "no provision" in assert_error(server.get(f"/api/docs/{doc_id}/provisions/art_999"), 404)
    wrong_method = server.post("/api/search", params={"q": "贴息"})
    assert_error(wrong_method, 405)
    assert wrong_method.headers["allow"] == "GET, HEAD"


def test_the_liveness_route_takes_what_monitors_add(server):
    assert server.get("/api/health", params={"_": "1700000000000", "utm_source": "uptime"}).status_code == 200


def test_head_is_answered_like_get_without_a_body(server):
    head, get = server.head("/api/search", params={"q": "贴息"}), server.get("/api/search", params={"q": "贴息"})
    assert head.status_code == 200 and head.content == b"" and head.headers["content-type"] == "application/json"
    assert int(head.headers["content-length"]) > 0 and get.content
    assert server.head("/api/docs/nosuch").status_code == 404


def test_query_that_is_not_utf8_is_refused(server):
    # %FF%FE percent-decodes to U+FFFD twice; searching for that would answer a question nobody asked.
    assert "UTF-8" in assert_error(server.get("/api/search?q=%FF%FE"), 400)  # raw bytes, so not params=
    assert "UTF-8" in assert_error(server.get("/api/docs?source=%FF"), 400)  # any route's parameters


def test_chinese_typed_into_the_url_unencoded_gets_the_json_error_saying_how_to_encode_it(server):
    """What `curl "http://…/api/search?q=贴息"` sends: not valid HTTP, refused before the app, but in its shape."""
    host, port = server.base_url.host, server.base_url.port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall("GET /api/search?q=贴息 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answer = _read_all(connection)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"content-type: application/json" in head.lower()
    assert "percent-encode" in json.loads(body)["error"]["message"]
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall("GET /api/health HTTP/1.1\r\nUser-Agent: 浏览器\r\n\r\n".encode())  # no Host
        answer = _read_all(connection)
    message = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["message"]
    assert "headers that include Host" in message and "percent-encode" not in message


def test_a_target_in_absolute_form_is_read_as_its_path(server):
    """What a client talking to a proxy sends (GET http://host/path); a server must accept it (RFC 9112 3.2.2)."""
    host, port = server.base_url.host, server.base_url.port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(f"GET http://{host}:{port}/api/docs?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                           .encode())
        answer = _read_all(connection)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and json.loads(body)["total"] == 2


def test_root_leads_to_the_interactive_docs(server):
    response = server.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/docs"


def test_openapi_lists_every_route(server):
    paths = server.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/docs", "/api/docs/{doc_id}", "/api/docs/{doc_id}/provisions/{eid}"} <= set(paths)


def test_openapi_documents_the_error_shape_the_api_sends(server):
    schema = server.get("/openapi.json").json()
    documented = schema["paths"]["/api/search"]["get"]["responses"]["422"]["content"]["application/json"]["schema"]
    components = schema["components"]["schemas"]
    properties = components[documented["$ref"].rsplit("/", 1)[1]]["properties"]
    sent = server.get("/api/search").json()
    assert list(properties) == list(sent) == ["error"]
    detail = components[properties["error"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert list(detail) == list(sent["error"]) == ["status", "message"]
    every = {"405", "408", "429", "500"}  # what any request may get
    for path, own in (("/api/search", {"400", "422"}), ("/api/docs", {"400", "422"}),
                      ("/api/docs/{doc_id}", {"400", "404", "422"}),
                      ("/api/docs/{doc_id}/provisions/{eid}", {"400", "404", "422"}), ("/api/health", set())):
        assert set(schema["paths"][path]["get"]["responses"]) == {"200", *own, *every}, path


def test_hostile_query_text_is_just_text(server):
    for q in ("'; DROP TABLE documents;--", "\x00\x01贴息", "<script>alert(1)</script>", "贴息" * 100, "贴息\ufffd"):
        response = server.get("/api/search", params={"q": q})
        assert response.status_code == 200 and response.json()["query"] == q
    assert server.get("/api/docs").json()["total"] == 2  # nothing was dropped


def test_a_port_in_use_is_a_message_not_a_traceback(server, tmp_path):
    port = str(server.base_url.port)  # the module's server holds it
    result = subprocess.run([sys.executable, "-m", "huiqi", "serve", "--port", port, "--home", str(tmp_path / "h")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stderr


def test_a_client_that_holds_a_connection_without_finishing_a_request_is_cut_off(tmp_path):
    """A client that sends its headers or a body a byte at a time, or never reads its answers, would otherwise hold a
    connection for ever (slowloris): slow headers get a 408; an idle connection, a body trickling after the answer, and
    a client that stopped reading are cut off."""
    # No request rate: 3,000 requests sent at once must be answered in full, to fill the buffers
    process, base = serve(tmp_path / "home", "--client-timeout", "1", "--client-rate", "0")
    host, port = base.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(b"GET /api/health HTTP/1.1\r\nHo")  # and no more
            answer = _read_all(connection)
            assert answer.startswith(b"HTTP/1.1 408")
            assert "within 1 s" in json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["message"]
        with socket.create_connection((host, int(port)), timeout=10) as connection:  # a kept-alive connection too
            connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
                               b"GET /api/health HTTP/1.1\r\n")  # the next request, begun and never finished
            first, _, second = _read_all(connection).partition(b"HTTP/1.1 408")
            assert first.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in first and second.startswith(b" Request Timeout")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            assert _read_all(connection) == b""  # no byte of a request: closed, as an idle kept-alive one is
        with socket.create_connection((host, int(port)), timeout=10) as connection:  # answered, body trickled on
            connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na")
            answer = b""
            while b'"status":"ok"' not in answer:
                answer += connection.recv(65536)
            connection.sendall(b"b")  # a byte of body after the answer, which stops uvicorn's keep-alive timer
            assert answer.startswith(b"HTTP/1.1 200") and _read_all(connection) == b""
        with socket.socket() as connection:  # asks for 18 MB of answers and reads none of them for 3 s
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            connection.settimeout(10)
            connection.connect((host, int(port)))
            one = len(httpx.get(f"{base}/openapi.json").content)
            connection.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * 3000)
            time.sleep(3)
            assert len(_read_all(connection)) < 3000 * one / 2  # cut off once its buffers were full for a second
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_client_cannot_hold_more_connections_than_its_share(tmp_path):
    """One address opening connections without end would use up the server's file descriptors: the one past its share
    is answered 429 in the API's error shape; one closed makes room for the next."""
    process, base = serve(tmp_path / "home", "--client-connections", "3")
    host, port = base.removeprefix("http://").split(":")
    ask = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        held = [socket.create_connection((host, int(port)), timeout=10) for _ in range(3)]
        for connection in held:  # answered, and kept alive
            connection.sendall(ask)
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            answer = _read_all(connection)
            assert answer.startswith(b"HTTP/1.1 429 Too Many Requests")
            assert "more than 3 connections" in json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["message"]
        held.pop().close()
        for _ in range(50):  # the server sees the close a moment later
            with socket.create_connection((host, int(port)), timeout=10) as connection:
                connection.sendall(ask)
                if (answer := connection.recv(65536)).startswith(b"HTTP/1.1 200"):
                    break
            time.sleep(0.05)
        assert answer.startswith(b"HTTP/1.1 200")
        for connection in held:
            connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_client_asking_faster_than_its_share_is_answered_429_until_its_rate_allows_again(tmp_path):
    process, base = serve(tmp_path / "home", "--client-rate", "2")  # bursts of 4
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            answers = [client.get("/api/docs") for _ in range(8)]
            assert [a.status_code for a in answers].count(429) >= 3 and answers[0].status_code == 200
            refused = next(a for a in answers if a.status_code == 429)
            assert "more than 2 requests a second from your address" in assert_error(refused, 429)
            assert refused.headers["Retry-After"] == "1"
            time.sleep(1.1)
            assert client.get("/api/docs").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def _read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or resets it: a cut-off client is not owed a
    goodbye)."""
    answer = b""
    try:
        while chunk := connection.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def test_an_ipv6_address_is_served_and_printed_in_brackets(tmp_path):
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6) as probe:
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    Library(tmp_path / "home")
    process = subprocess.Popen([sys.executable, "-m", "huiqi", "serve", "--host", "::1", "--port", str(port),
                                "--home", str(tmp_path / "home")], stderr=subprocess.PIPE, text=True)
    try:
        printed = next(line for line in process.stderr if "serving" in line)
        assert f"on http://[::1]:{port} " in printed
        url = printed.split(" on ", 1)[1].split()[0]
        for _ in range(100):
            try:
                assert httpx.get(f"{url}/api/health", timeout=1).json()["status"] == "ok"
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer at the address it printed")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_what_another_process_ingests_is_searched_as_soon_as_it_has_ended(tmp_path):
    home = tmp_path / "home"
    first, second = tmp_path / "national.txt", tmp_path / "jiangsu.txt"
    first.write_text("\n".join(pdf_lines(NATIONAL)), encoding="utf-8")
    second.write_text("\n".join(pdf_lines(JIANGSU)), encoding="utf-8")
    Library(home).ingest_file(first)
    process, base = serve(home, "--client-rate", "0")
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            before = {hit["source"] for hit in client.get("/api/search", params={"q": "江苏省 贴息"}).json()["hits"]}
            Library(home).ingest_file(second)  # in this process, so no search can come while a writer shuts down
            after = {hit["source"] for hit in client.get("/api/search", params={"q": "江苏省 贴息"}).json()["hits"]}
        assert before == {"national.txt"} and after == {"national.txt", "jiangsu.txt"}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_connection_to_the_listener_serve_binds_sends_answers_without_waiting_for_acks():
    """asyncio turns Nagle's algorithm off only on sockets it made; on the listener `serve` binds itself, every answer
    after the first on a kept-alive connection waited about 40 ms for the client's delayed ACK."""
    import asyncio

    import uvicorn
    from uvicorn.server import ServerState

    from huiqi.api import HuiqiHTTP

    class Transport:  # the asyncio transport of one accepted connection, as far as the protocol asks
        def __init__(self, connection):
            self.connection = connection

        def get_extra_info(self, name, default=None):
            return {"socket": self.connection, "peername": self.connection.getpeername(),
                    "sockname": self.connection.getsockname()}.get(name, default)

        def is_closing(self):
            return False

        def close(self):
            pass

    async def accept() -> int:
        with socket.create_server(("127.0.0.1", 0)) as listener, \
                socket.create_connection(listener.getsockname()) as _client:
            connection, _ = listener.accept()
            with connection:
                assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # as accepted
                config = uvicorn.Config(app=None)
                protocol = HuiqiHTTP(config=config, server_state=ServerState(), app_state={})
                protocol.connection_made(Transport(connection))
                protocol.connection_lost(None)
                return connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    assert asyncio.run(accept()) == 1
