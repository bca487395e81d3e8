"""Files that cannot be used are refused with one line that names the file and says why."""

from __future__ import annotations

import pytest

from core.errors import PolicyBotError, UnsupportedDocument
from ingest.loaders import load_file
from ingest.pipeline import expand_paths, parse_file

EDGE_CASES = {
    "encrypted_pdf": r"encrypted\.pdf: the PDF is encrypted; remove its password",
    "truncated_pdf": r"truncated\.pdf: the PDF is corrupt or truncated",
    "not_a_pdf": r"not_a_pdf\.pdf: not a PDF file",
    "empty_txt": r"empty\.txt: the file is empty",
    "image_only_pdf": r"image_only\.pdf: the PDF has no text layer.*OCR",
}


def assert_one_line(exc: BaseException, name: str) -> None:
    message = str(exc)
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith(f"{name}: "), message
    assert isinstance(exc, PolicyBotError)


@pytest.mark.parametrize("key", list(EDGE_CASES), ids=list(EDGE_CASES))
def test_broken_files_refused(fixture_files, key):
    path = fixture_files[key]
    with pytest.raises(UnsupportedDocument, match=EDGE_CASES[key]) as info:
        parse_file(path)
    assert_one_line(info.value, path.name)


def test_unsupported_extension_refused(tmp_path):
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    with pytest.raises(UnsupportedDocument, match=r"budget\.xlsx: unsupported file type '\.xlsx'; supported: .*\.pdf") as info:
        parse_file(path)
    assert_one_line(info.value, path.name)


def test_file_without_extension_refused(tmp_path):
    path = tmp_path / "README"
    path.write_text("第一条 内容。", encoding="utf-8")
    with pytest.raises(UnsupportedDocument, match=r"README: unsupported file type 'none'") as info:
        parse_file(path)
    assert_one_line(info.value, path.name)


def test_missing_file_refused(tmp_path):
    with pytest.raises(UnsupportedDocument, match=r"nope\.pdf: cannot be read") as info:
        parse_file(tmp_path / "nope.pdf")
    assert_one_line(info.value, "nope.pdf")


def test_missing_folder_refused(tmp_path):
    with pytest.raises(UnsupportedDocument, match=r"no such file or folder"):
        expand_paths([tmp_path / "missing"])


def test_too_large_file_refused(plan_path):
    with pytest.raises(UnsupportedDocument, match=r"over the 0 MB limit \(POLICYBOT_MAX_FILE_MB\)") as info:
        parse_file(plan_path, max_bytes=1000)
    assert_one_line(info.value, plan_path.name)


def test_whitespace_only_file_refused(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\u3000\n\t\n", encoding="utf-8")
    with pytest.raises(UnsupportedDocument, match=r"blank\.txt: no text found") as info:
        parse_file(path)
    assert_one_line(info.value, path.name)


def test_binary_file_with_text_extension_refused(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnsupportedDocument, match=r"image\.txt: not a text file") as info:
        parse_file(path)
    assert_one_line(info.value, path.name)


def test_corrupt_docx_refused(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(UnsupportedDocument, match=r"broken\.docx: not a valid \.docx file") as info:
        parse_file(path)
    assert_one_line(info.value, path.name)


def test_text_without_policy_text_refused(tmp_path):
    path = tmp_path / "junk.txt"
    path.write_text("- 1 -\n\n", encoding="utf-8")
    with pytest.raises(UnsupportedDocument, match=r"junk\.txt: no policy text found") as info:
        parse_file(path)
    assert_one_line(info.value, path.name)


def test_gb18030_text_is_read(tmp_path, plan_path):
    path = tmp_path / "plan-gbk.txt"
    path.write_bytes(plan_path.read_text(encoding="utf-8").encode("gb18030"))
    document = parse_file(path)
    assert len(document.clauses) == 20


def test_readable_files_are_loaded(fixture_files):
    raw = load_file(fixture_files["rules_pdf"], max_bytes=50_000_000)
    assert raw.layout_wrapped and [n for n, _ in raw.pages] == [1, 2, 3]
    for key in ("rules_docx", "short_html", "short_md"):
        raw = load_file(fixture_files[key], max_bytes=50_000_000)
        assert not raw.layout_wrapped
        assert "测试样例" in "".join(text for _, text in raw.pages)


def test_expand_paths_lists_supported_files(fixtures_dir, tmp_path):
    (tmp_path / "notes.xlsx").write_bytes(b"x")
    files = expand_paths([fixtures_dir / "policies", tmp_path])
    names = [f.name for f in files]
    assert "shiliShi-suanliquan-rules-test-sample.pdf" in names
    assert "shiliSheng-rongzi-measures-test-sample.md" in names
    assert "notes.xlsx" not in names
