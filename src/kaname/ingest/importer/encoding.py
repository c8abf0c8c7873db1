"""Which text encoding a CSV file is in: UTF-8 (with or without a BOM), UTF-16, Shift_JIS/CP932
or EUC-JP.

The byte-order mark decides when there is one. Otherwise the first megabyte is tried as UTF-8;
text that is not UTF-8 is one of the two Japanese legacy encodings, and when both decode it
charset-normalizer chooses between them (EUC-JP text mostly decodes as CP932 too, as half-width
katakana: テスト would become ･ﾆ･ｹ･ﾈ). A file that is valid UTF-8 at first and not later is
mixed, unless all that came before was ASCII (then the Japanese text simply starts late).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from kaname.ingest.importer.rawfile import ReadError
from kaname.ingest.messages import message

SNIFF_BYTES = 1 << 20
LEGACY = ("cp932", "euc-jp")
"""Japanese legacy encodings, the first being the default when the text cannot tell."""


def detect_encoding(path: Path, language: str = "en") -> str:
    """utf-8-sig, utf-16, utf-16-le, utf-16-be, utf-8, cp932 or euc-jp."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    wide = _utf16_without_bom(head)
    if wide:
        return wide
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return after_utf8(path, language)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII (delimiters, digits, line ends) puts a NUL in every other
    byte; the text must then read as text (2% other characters at most) with a delimiter or
    a line end."""
    sample = head[: 4096 & ~1]
    for name, zeros in (("utf-16-le", sample[1::2]), ("utf-16-be", sample[0::2])):
        if zeros.count(0) > 0.1 * len(zeros) and _reads_as_text(sample, name):
            return name
    return None


def _reads_as_text(sample: bytes, encoding: str) -> bool:
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    if not any(c in text for c in ",;\t\r\n"):
        return False
    odd = sum(1 for c in text if not c.isprintable() and c not in "\t\r\n")
    return odd <= len(text) // 50


def legacy_encoding(data: bytes, path: Path, language: str = "en") -> str:
    """cp932 or euc-jp, whichever `data` is written in."""
    fits = []
    for name in LEGACY:
        try:
            codecs.getincrementaldecoder(name)().decode(data, final=False)
            fits.append(name)
        except UnicodeDecodeError:
            continue
    if not fits:
        raise ReadError(message("unknown_encoding", language, path=path))
    if len(fits) == 1:
        return fits[0]
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp932", "euc_jp"]).best()
    return "euc-jp" if best is not None and best.encoding == "euc_jp" else "cp932"


def after_utf8(path: Path, language: str = "en") -> str:
    """The encoding of a file that begins as UTF-8 and is not UTF-8 further on: its legacy
    encoding when no Japanese text came before (a few Shift_JIS bytes can pass for UTF-8);
    else the file mixes encodings, and the error names the first line that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines, japanese = 0, 1, 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(SNIFF_BYTES), b""):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                data = bytes(exc.object)  # bytes carried from the last block, then this one
                before = data[: exc.start]
                japanese += len(_JAPANESE.findall(before.decode("utf-8", errors="ignore")))
                if japanese < 2:
                    fh.seek(offset - (len(data) - len(block)) + before.rfind(b"\n") + 1)
                    return legacy_encoding(fh.read(SNIFF_BYTES), path, language)
                lines += _line_breaks(before)
                raise ReadError(
                    message("mixed_encoding", language, path=path, line=lines)
                ) from None
            japanese += len(_JAPANESE.findall(text))
            lines += _line_breaks(block)
            offset += len(block)
    raise ReadError(message("unknown_encoding", language, path=path))


_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff9f]")
"""Kana, kanji and full/half-width forms: text that shows the file really is UTF-8."""


def _line_breaks(data: bytes) -> int:
    """Line breaks in `data`: CR LF, LF or a lone CR each count once."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
