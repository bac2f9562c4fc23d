"""Turning a user's file into UTF-8 CSV that DuckDB reads: Excel workbooks, encodings,
delimiters.

DuckDB reads UTF-8 (and UTF-16, latin-1) itself; files in the Windows code pages of
Romanian and Russian offices (cp1250, cp1251) are decoded here first, in chunks, so a file
of any size passes through with bounded memory. The encoding is guessed by
charset-normalizer among the encodings our users' tools write.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import charset_normalizer

from metrics.errors import InputError
from metrics.i18n import N_, t, tn
from metrics.limits import check_columns, check_line_length

CHUNK_BYTES = 8 << 20
SAMPLE_BYTES = 1 << 20
# The UTF-8 check decodes the file in pieces this size, which stay in the processor's
# cache: 0.49 s of CPU for a 692 MB file against 1.1 s in pieces of 8 MB, and 1.15 s for
# DuckDB's read_text, which held the whole text in memory (one thread either way).
UTF8_CHECK_BYTES = 256 << 10
# Encodings charset-normalizer may choose between when a file is not UTF-8.
LEGACY_ENCODINGS = ("cp1250", "cp1251", "latin_1")
ENCODING_NAMES = {
    "utf-8": N_("UTF-8"),
    "utf-8-sig": N_("UTF-8 with BOM"),
    "utf-16": N_("UTF-16"),
    "utf-16-le": N_("UTF-16 (little-endian, without BOM)"),
    "utf-16-be": N_("UTF-16 (big-endian, without BOM)"),
    "cp1250": N_("Windows-1250 (Central European)"),
    "cp1251": N_("Windows-1251 (Cyrillic)"),
    "latin_1": N_("Latin-1"),
    "xlsx": N_("Excel workbook"),
}
DELIMITERS = (",", ";", "\t", "|")
# Records of the file's start that vote for its delimiter.
DELIMITER_VOTE_ROWS = 5000
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"  # a zip with nothing in it is its end record alone
GZIP_MAGIC = b"\x1f\x8b"
# UTF-16 without a byte order mark: at least this share of the sample's characters have a
# zero byte (Latin letters, digits, delimiters, line ends), always on the same side.
UTF16_ZERO_SHARE = 0.2


@dataclass(frozen=True)
class PreparedFile:
    """A file ready for DuckDB: UTF-8 CSV text and what was detected on the way."""

    path: Path
    encoding: str  # a key of ENCODING_NAMES
    delimiter: str
    sheet: str | None = None
    # The most fields a record of the file's start has: the columns DuckDB reads into
    # (a longer row further down is set aside on its own).
    width: int = 1
    # Workbooks: per column, "date" or "number" when every filled cell below the header
    # is a typed cell of that kind (not text); None otherwise.
    cell_kinds: tuple[str | None, ...] = ()

    @property
    def encoding_name(self) -> str:
        name = ENCODING_NAMES.get(self.encoding, self.encoding)
        return f"{name}, sheet “{self.sheet}”" if self.sheet else name

    @property
    def is_workbook(self) -> bool:
        return self.encoding == "xlsx"

    @property
    def is_legacy_encoding(self) -> bool:
        """Whether the file was written in an 8-bit code page, which holds few alphabets."""
        return self.encoding in LEGACY_ENCODINGS

    def cell_kind(self, column: int) -> str | None:
        """"date" or "number" when the column (0-based) holds only such typed cells."""
        return self.cell_kinds[column] if column < len(self.cell_kinds) else None


def excel_sheets(path: Path, name: str | None = None) -> list[str]:
    """The sheet names of an .xlsx workbook, in order (``name``: the file's, for messages)."""
    import openpyxl  # only needed for workbooks

    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InputError(t("{name} is not an Excel .xlsx workbook that can be read; save it "
                           "again as .xlsx or CSV.", name=name or path.name)) from error
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell as text: dates in ISO form (so no locale guessing), numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell_kind(value: object) -> str | None:
    """What a filled cell holds: "date", "number" or "text" (None when it is empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):  # datetime too
        return "date"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    return "text"


def _excel_to_csv(path: Path, out: Path, sheet: str | None, name: str
                  ) -> tuple[str, tuple[str | None, ...]]:
    """Write one sheet of a workbook as UTF-8 CSV, row by row.

    Returns the sheet's name and, per column, the kind of cell ("date", "number") every
    filled cell under the header row is, or None when the column holds text or a mix.
    """
    import openpyxl

    sheets = excel_sheets(path, name)
    chosen = sheet or sheets[0]
    if chosen not in sheets:
        raise InputError(t("The workbook has no sheet “{sheet}”; its sheets are: {sheets}.",
                           sheet=chosen, sheets=", ".join(sheets)))
    kinds: list[set[str]] = []
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        with out.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            for number, row in enumerate(workbook[chosen].iter_rows(values_only=True)):
                writer.writerow([_cell_text(value) for value in row])
                if number == 0:  # the header row
                    continue
                kinds += [set() for _ in range(len(row) - len(kinds))]
                for column, value in enumerate(row):
                    if kind := _cell_kind(value):
                        kinds[column].add(kind)
    finally:
        workbook.close()
    return chosen, tuple(next(iter(seen)) if len(seen) == 1 and seen != {"text"} else None
                         for seen in kinds)


def _is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (a character may span two pieces)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as file:
        try:
            while chunk := file.read(UTF8_CHECK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _guess_legacy_encoding(path: Path) -> str:
    """The Windows code page or Latin-1 that reads the file's non-ASCII bytes best."""
    sample = bytearray()
    with path.open("rb") as file:
        while len(sample) < SAMPLE_BYTES and (chunk := file.read(CHUNK_BYTES)):
            # keep the lines with non-ASCII bytes: they are what tells encodings apart
            sample += b"\n".join(line for line in chunk.split(b"\n") if max(line, default=0) > 127)
    best = charset_normalizer.from_bytes(bytes(sample), cp_isolation=list(LEGACY_ENCODINGS)).best()
    encoding = best.encoding if best is not None else "latin_1"
    if encoding == "latin_1" and _romanian_in_disguise(bytes(sample)):
        return "cp1250"
    return encoding


# Romanian ş ţ Ş Ţ in cp1250 are º þ ª Þ in Latin-1: signs no Western word holds between
# letters. On short samples charset-normalizer cannot tell the two apart, so this decides.
_CP1250_TELLS = set("ºþªÞ")


def _romanian_in_disguise(sample: bytes) -> bool:
    text = sample.decode("latin_1")
    return any(
        char in _CP1250_TELLS and 0 < n < len(text) - 1
        and (text[n - 1].isalpha() or text[n + 1].isalpha())
        for n, char in enumerate(text)
    ) and _decodes(sample, "cp1250")


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, out: Path, encoding: str) -> None:
    with path.open("r", encoding=encoding, newline="") as source, \
            out.open("w", encoding="utf-8", newline="") as target:
        while chunk := source.read(CHUNK_BYTES):
            target.write(chunk)


def _sample_text(path: Path) -> str:
    """The start of a UTF-8 file, cut after its last whole line."""
    with path.open(encoding="utf-8", errors="replace", newline="") as file:
        text = file.read(SAMPLE_BYTES)
        if file.read(1):  # cut: the last line may be partial
            text = text[:text.rfind("\n") + 1] or text
    return text


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The first records of ``text`` that hold anything, split by ``delimiter``."""
    filled = (r for r in csv.reader(io.StringIO(text), delimiter=delimiter)
              if any(field.strip() for field in r))
    try:
        return list(itertools.islice(filled, DELIMITER_VOTE_ROWS))
    except csv.Error:
        return []


def _fitting_rows(records: list[list[str]]) -> int:
    """How many records have as many fields as the first (the header).

    A record that only adds empty fields (a trailing delimiter) fits; a header of one field
    fits nothing: the delimiter does not occur in it.
    """
    if not records or len(records[0]) < 2:
        return 0
    width = len(records[0])
    return sum(len(r) >= width and not any(f.strip() for f in r[width:]) for r in records)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the most records of ``text`` like its header row.

    Every record votes, so a few short or long rows (which the ingest then sets aside)
    cannot change the answer; a tie goes to the delimiter giving the header more fields.
    """
    first_line = text.split("\n", 1)[0]
    votes = {d: (_fitting_rows(_records(text, d)), first_line.count(d)) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: votes[d])
    return best if votes[best][0] else ","


def _widest_record(text: str, delimiter: str) -> int:
    """The most fields a record of ``text`` has: the columns to read the file into."""
    return max((len(r) for r in _records(text, delimiter)), default=1)


def _utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when the sample is UTF-16 text without a byte order mark.

    The characters of a CSV file's structure (digits, delimiters, line ends) and of Latin
    letters have a zero high byte, so one side of every other byte is mostly zero; the
    sample must then decode to printable text.
    """
    pairs = len(head) // 2
    if pairs < 2:
        return None
    zeros = {"utf-16-be": head[0:2 * pairs:2].count(0), "utf-16-le": head[1:2 * pairs:2].count(0)}
    for encoding, other in (("utf-16-le", "utf-16-be"), ("utf-16-be", "utf-16-le")):
        if zeros[encoding] >= UTF16_ZERO_SHARE * pairs and zeros[other] == 0:
            try:  # the sample may end inside a character: decode what is whole
                text = codecs.getincrementaldecoder(encoding)().decode(head[:2 * pairs])
            except UnicodeDecodeError:
                return None
            return encoding if all(c.isprintable() or c in "\t\r\n" for c in text) else None
    return None


def is_workbook(path: Path) -> bool:
    """Whether the file is an Excel .xlsx workbook rather than text or another zip."""
    with path.open("rb") as file:
        if file.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(member.startswith("xl/") for member in archive.namelist())
    except zipfile.BadZipFile:
        return True  # a damaged workbook: excel_sheets says so


def _user_files(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The files of a zip, without folders and what the system that zipped them adds
    (``__MACOSX/``, ``.DS_Store``, ``._name``)."""
    return [info for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            and not info.filename.rsplit("/", 1)[-1].startswith(".")]


def _unpack(path: Path, head: bytes, workdir: Path, name: str) -> Path | None:
    """The file inside a .gz, or inside a zip holding one file, unpacked into ``workdir``
    in chunks; None when ``path`` is neither. The file keeps its name's ending (openpyxl
    reads only files named .xlsx)."""
    if head.startswith(GZIP_MAGIC):
        out = workdir / ("unpacked" + Path(Path(name).stem).suffix.lower())
        try:
            with gzip.open(path, "rb") as source, out.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise InputError(t("{name} is a damaged .gz file: compress the export again, or "
                               "upload it uncompressed.", name=name)) from error
        return out
    if not head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)) or is_workbook(path):
        return None
    with zipfile.ZipFile(path) as archive:
        files = _user_files(archive)
        if not files:
            raise InputError(t("{name} holds no file: put the CSV export in it, or upload the "
                               "CSV itself.", name=name))
        if len(files) > 1:
            raise InputError(tn(
                "{name} holds {n} file ({files}): upload one CSV file, on its own or alone "
                "in a zip.", "{name} holds {n} files ({files}): upload one CSV file, on its "
                "own or alone in a zip.", len(files), name=name,
                files=", ".join(info.filename.rsplit("/", 1)[-1] for info in files)))
        out = workdir / ("unpacked" + Path(files[0].filename).suffix.lower())
        try:
            with archive.open(files[0]) as source, out.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK_BYTES)
        except (RuntimeError, zipfile.BadZipFile, OSError, zlib.error) as error:
            # RuntimeError: a password-protected zip
            raise InputError(t("{name} cannot be unpacked (damaged or protected by a "
                               "password): upload the CSV itself.", name=name)) from error
    return out


def parse_encoding(text: str) -> str:
    """An encoding from what a user typed (``cp1250``, ``Windows-1251``, ``UTF-8``).

    Returns the key of :data:`ENCODING_NAMES` for the encodings LoyaltyLens detects,
    else Python's name of the codec.
    """
    try:
        codec = codecs.lookup(text.strip())
        "".encode(codec.name)  # a bytes-to-bytes codec (base64, zlib) is no text encoding
    except LookupError:
        raise InputError(t("“{text}” is not an encoding LoyaltyLens knows; use for example "
                           "utf-8, cp1250, cp1251, latin-1 or utf-16.", text=text)) from None
    known = {codecs.lookup(key).name: key for key in ENCODING_NAMES if key != "xlsx"}
    return known.get(codec.name, codec.name)


# What a user may type for a delimiter besides the character itself.
DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def parse_delimiter(text: str) -> str:
    """A delimiter from what a user typed: one character, or ``tab``, ``\\t``, ``comma``..."""
    delimiter = DELIMITER_WORDS.get(text.strip().lower(), text)
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise InputError(t("“{text}” cannot be a delimiter: give one character, for example "
                           "; or , or tab.", text=text))
    return delimiter


def prepare_file(path: Path, workdir: Path, sheet: str | None = None, *,
                 name: str | None = None, encoding: str | None = None,
                 delimiter: str | None = None) -> PreparedFile:
    """Make ``path`` readable by DuckDB as UTF-8 CSV (converting into ``workdir`` if need be).

    Parameters
    ----------
    name
        The file's name as the user knows it, for messages (default: the path's).
    encoding, delimiter
        The user's choice instead of the detected one (:func:`parse_encoding`,
        :func:`parse_delimiter`); a workbook has neither.

    Raises
    ------
    InputError
        The file is missing, empty, not text nor an Excel workbook, or cannot be read in
        the chosen encoding.
    """
    name = name or path.name
    if not path.exists():
        raise InputError(t("The file {path} does not exist.", path=str(path)))
    return _prepare(path, workdir, sheet, name, encoding, delimiter, unpack=True)


def _prepare(path: Path, workdir: Path, sheet: str | None, name: str, encoding: str | None,
             delimiter: str | None, unpack: bool) -> PreparedFile:
    """:func:`prepare_file` of an existing file; ``unpack``: a .gz or zip is opened (once)."""
    with path.open("rb") as file:
        head = file.read(SAMPLE_BYTES)
    if not head.strip():
        raise InputError(t("The file {name} is empty: export it again with its rows.",
                           name=name))
    unpacked = _unpack(path, head, workdir, name) if unpack else None
    if unpacked is not None:
        return _prepare(unpacked, workdir, sheet, name, encoding, delimiter, unpack=False)
    if head.startswith(ZIP_MAGIC):
        out = workdir / "sheet.csv"
        chosen, kinds = _excel_to_csv(path, out, sheet, name)
        return PreparedFile(out, "xlsx", ",", chosen, _checked_width(_sample_text(out), ",",
                                                                     name), kinds)
    chosen_encoding = encoding is not None
    if encoding is not None:
        encoding = parse_encoding(encoding)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif b"\x00" in head:
        encoding = _utf16_without_bom(head)
        if encoding is None:
            raise InputError(t("{name} is not a text file. Save it as CSV (UTF-8) or as an "
                               "Excel .xlsx workbook and upload that.", name=name))
    else:
        encoding = "utf-8" if _is_utf8(path) else _guess_legacy_encoding(path)
    readable = path
    try:
        if encoding != "utf-8":
            readable = workdir / "utf8.csv"
            _transcode(path, readable, encoding)
        elif chosen_encoding and not _is_utf8(path):  # detection checked it already
            raise UnicodeError(encoding)
    except UnicodeError:
        raise InputError(t("{name} cannot be read in the {encoding} encoding: choose another "
                           "encoding, or let LoyaltyLens detect it.", name=name,
                           encoding=ENCODING_NAMES.get(encoding, encoding))) from None
    text = _sample_text(readable)
    delimiter = parse_delimiter(delimiter) if delimiter is not None else _sniff_delimiter(text)
    return PreparedFile(readable, encoding, delimiter,
                        width=_checked_width(text, delimiter, name))


def _longest_line(text: str) -> int:
    """The length of the longest line of ``text``, in characters (a sample's bytes, near
    enough: the limit is far above any export's line)."""
    return max(len(line) for line in text.split("\n"))


def _checked_width(text: str, delimiter: str, name: str) -> int:
    """The columns to read the file into (:func:`_widest_record`), within the limits
    (:mod:`metrics.limits`): a too long line or too many columns is refused here, before
    the whole file is read."""
    check_line_length(_longest_line(text), name)
    width = _widest_record(text, delimiter)
    check_columns(width, name)
    return width
