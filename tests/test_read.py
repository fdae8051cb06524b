"""Readers: encodings detected without being told, every supported format, one-line errors for bad files."""

from __future__ import annotations

import io
import re

import docx
import pytest

from conftest import make_pdf
from huiqi.errors import UnreadableFile
from huiqi.read import DamagedLine, decode_text, read_source, stream_lines

TEXT = "关于印发《江苏省制造业贷款财政贴息实施方案》的通知\n苏工信综合〔2024〕98号\n"


@pytest.mark.parametrize(("encoding", "prefix", "expected"), [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
    ("gb18030", b"", "gb18030"),
    ("gbk", b"", "gb18030"),
    ("utf-16", b"", "utf-16"),
    ("utf-32", b"", "utf-32"),  # its byte order mark begins with UTF-16's
    ("utf-32-be", b"\x00\x00\xfe\xff", "utf-32"),
])
def test_text_encoding_is_detected(tmp_path, encoding, prefix, expected):
    path = tmp_path / "gb18030_title.txt"
    path.write_bytes(prefix + TEXT.encode(encoding))
    source = read_source(path)
    assert source.encoding == expected
    assert source.lines[0] == "关于印发《江苏省制造业贷款财政贴息实施方案》的通知"
    assert source.lines[1] == "苏工信综合〔2024〕98号"


def test_line_numbers_are_the_files_own(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("第一行\r\n\r\n第三行\r\n".encode())
    assert read_source(path).lines == ["第一行", "", "第三行"]


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    document = docx.Document()
    document.add_paragraph("关于开展稳岗补贴工作的通知")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "项目", "标准"
    table.cell(1, 0).text, table.cell(1, 1).text = "稳岗补贴", "每人1500元"
    document.add_paragraph("特此通知。")
    path = tmp_path / "notice.docx"
    document.save(path)
    source = read_source(path)
    assert source.format == "docx"
    assert source.lines == ["关于开展稳岗补贴工作的通知", "项目\t标准", "稳岗补贴\t每人1500元", "特此通知。"]


def test_a_docx_whose_text_unpacks_past_the_limit_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    """A few megabytes of zip may hold gigabytes of XML (a zip bomb): the limit counts the unpacked text."""
    import zipfile

    document = docx.Document()
    document.add_paragraph("关于开展稳岗补贴工作的通知")
    plain = tmp_path / "plain.docx"
    document.save(plain)
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as packed:
        for part in source.infolist():
            body = source.read(part)
            if part.filename == "word/document.xml":
                body = body.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * (3 * 2**20 // 6))  # 3 MB of paragraphs
            packed.writestr(part, body)
    assert bomb.stat().st_size < 100_000
    monkeypatch.setenv("HUIQI_MAX_MB", "2")
    with pytest.raises(UnreadableFile, match=r"its text unpacks to \d+ MB, more than the 2 MB limit"):
        read_source(bomb)
    assert read_source(plain).lines == ["关于开展稳岗补贴工作的通知"]


def test_pdf_text_layer_with_page_breaks(tmp_path):
    path = tmp_path / "two_pages.pdf"
    path.write_bytes(make_pdf([["Article 1 first line", "second line"], ["page two"]]))
    source = read_source(path)
    assert source.format == "pdf"
    assert [line for line in source.lines if line.strip("\f")] == ["Article 1 first line", "second line",
                                                                      "page two"]
    assert "\f" in source.lines  # the page break survives, for cleaning to note


def test_html_blocks_become_lines_and_scripts_vanish(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>x</title><script>var a=1;</script></head><body>"
                    "<h1>关于发展银发经济的意见</h1><p>国办发〔2024〕1号</p>"
                    "<table><tr><td>一</td><td>二</td></tr></table></body></html>", encoding="utf-8")
    source = read_source(path)
    assert source.lines == ["关于发展银发经济的意见", "国办发〔2024〕1号", "一\t二"]


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.txt", b"", "empty file"),
    ("binary.txt", b"\x00\x01\x02PK\x03\x04" * 100, "binary"),
    ("latin1.txt", "Café naïve résumé ".encode("cp1252") * 3 + b"\x81\x8d\x8f\x90\x9d" * 40, "not text"),
    ("whitespace.txt", b"\n\n   \n", "no text"),
    ("truncated.pdf", make_pdf([["Hello"]])[:200], "damaged or truncated"),
    ("encrypted.pdf", make_pdf([["secret"]], encrypt=True), "encrypted"),
    ("blank_pages.pdf", make_pdf([[]]), "no text layer"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a valid .docx"),
    ("table.xlsx", b"whatever", "unsupported file type"),
])
def test_bad_files_give_a_one_line_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as raised:
        read_source(path)
    message = str(raised.value)
    assert name in message and reason in message and "\n" not in message


def test_file_over_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_MAX_MB", "1")
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024 * 1024)  # sparse: nothing is read, so nothing needs to be real
    with pytest.raises(UnreadableFile, match="larger than the 1 MB limit"):
        read_source(path)


class _Trickle(io.RawIOBase):
    """A pipe that hands over `size` bytes at a time, as a slow writer would."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size = data, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(self.size, len(buffer))
        chunk, self.data = self.data[:size], self.data[size:]
        buffer[:len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("size", [1, 7, 1 << 20])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-32"])
def test_streamed_lines_decode_whatever_the_blocks(encoding, size):
    # ASCII first: the encoding is decided at the first byte that is not, possibly several blocks later
    text = "plain ascii\r\n\n贴息怎么申请\u2028还是不行\n" + "很长" * 50 + "\n末行无换行"
    lines = list(stream_lines(io.BufferedReader(_Trickle(text.encode(encoding), size)), "q.txt", longest=60))
    assert lines == ["plain ascii", "", "贴息怎么申请\u2028还是不行", ("很长" * 50)[:60], "末行无换行"]


def test_streamed_lines_stop_at_what_is_not_text():
    with pytest.raises(UnreadableFile, match="binary file"):
        list(stream_lines(io.BufferedReader(_Trickle(b"ok\n\x00\x01\x02", 4)), "q.txt", longest=60))


@pytest.mark.parametrize("size", [1, 7, 1 << 20])
def test_a_damaged_streamed_line_comes_in_its_place_and_the_lines_after_it_follow(size):
    good = [f"第{n}个问题：研发费用加计扣除怎么申请" for n in range(40)]
    before = ("\n".join(good) + "\n").encode()
    data = before + "坏".encode()[:-1] + "\n第二".encode() + "行".encode("gb18030") + "\n后\n\xff".encode() + b"\xff"
    lines = list(stream_lines(io.BufferedReader(_Trickle(data, size)), "q.txt", longest=60))
    assert lines == [*good, DamagedLine("\ufffd", 41, "utf-8"), DamagedLine("第二\ufffd\ufffd", 42, "utf-8"), "后",
                     DamagedLine("\xff\ufffd", 44, "utf-8")]
    assert lines[40].message() == "line 41 is not valid utf-8, the encoding the file is read in; save it as UTF-8"


@pytest.mark.parametrize("size", [1, 1 << 20])
def test_a_stream_whose_first_line_no_encoding_reads_goes_on_after_it(size):
    lines = list(stream_lines(io.BufferedReader(_Trickle(b"\xff\n" + "贴息\n失业\n".encode(), size)), "q.txt", 60))
    assert lines == [DamagedLine("\ufffd", 1, "utf-8"), "贴息", "失业"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_file_damaged_far_in_is_refused_at_the_damage_in_its_own_encoding(encoding):
    text = ("关于印发江苏省制造业贷款财政贴息实施方案的通知\n" * 100).encode(encoding)
    cut = text.index(b"\n", 2000)
    data = text[:cut] + b"\xff" + text[cut:]  # lines of 70 (UTF-8) or 47 (GB18030) bytes
    line = 29 if encoding == "utf-8" else 43
    with pytest.raises(UnreadableFile, match=rf"invalid {encoding} at byte {cut} \(line {line}\)"):
        decode_text("policy.txt", data)


def test_a_short_utf8_file_cut_short_is_named_damaged_utf8_not_read_as_gb18030():
    data = "贴息\n稳岗补贴\n".encode() + "坏".encode()[:2] + b"\n"
    with pytest.raises(UnreadableFile, match=r"invalid utf-8 at byte 20 \(line 3\)"):
        decode_text("q.txt", data)
    assert decode_text("q.txt", "失业\n稳岗补贴".encode("gb18030")) == ("失业\n稳岗补贴", "gb18030")


@pytest.mark.parametrize("size", [1, 1 << 20])
@pytest.mark.parametrize(("data", "reason", "damaged"), [
    (b"\xef\xbb\xbf" + "贴息\n失业\nab".encode() + b"\xff\n", "invalid utf-8 at byte 19 (line 3)",
     DamagedLine("ab\ufffd", 3, "utf-8")),
    ("贴息\n失业\nab".encode("utf-16") + b"\x00\xdcz\x00", "invalid utf-16 at byte 18 (line 3)",  # a lone surrogate
     DamagedLine("ab\ufffdz", 3, "utf-16-le")),
])
def test_a_file_with_a_byte_order_mark_damaged_further_on_is_damaged_where_it_is(data, reason, damaged, size):
    lines = list(stream_lines(io.BufferedReader(_Trickle(data, size)), "q.txt", longest=60))
    assert lines[:3] == ["贴息", "失业", damaged]
    with pytest.raises(UnreadableFile, match=re.escape(reason)):
        decode_text("q.txt", data)


def test_gb18030_text_one_of_whose_characters_reads_as_utf8_is_damaged_gb18030_where_it_is():
    data = "娼活动\n第一条 贴息\n第二条 失业\n".encode("gb18030") + b"\xff\n"  # 娼 is also UTF-8 (e6 bd bb)
    with pytest.raises(UnreadableFile, match=re.escape("invalid gb18030 at byte 31 (line 4)")):
        decode_text("g.txt", data)
    lines = list(stream_lines(io.BufferedReader(_Trickle(data, 1 << 20)), "g.txt", longest=60))
    assert lines == ["娼活动", "第一条 贴息", "第二条 失业", DamagedLine("\ufffd", 4, "gb18030")]


def test_a_gb18030_file_whose_first_line_also_reads_as_utf8_is_decided_on_the_whole_block():
    data = "失业\n稳岗补贴怎么申请\n".encode("gb18030")  # 失业 in GB18030 is valid UTF-8 ('ʧҵ')
    assert list(stream_lines(io.BufferedReader(_Trickle(data, 1 << 20)), "q.txt", longest=60)) == [
        "失业", "稳岗补贴怎么申请"]


def test_a_carriage_return_inside_an_over_long_line_does_not_make_it_fit():
    line = "补" * 60 + "\r" + "贴" * 5
    assert list(stream_lines(io.BufferedReader(_Trickle(f"{line}\r\nok\r\n".encode(), 7)), "q.txt",
                             longest=61)) == [line[:61], "ok"]
