"""Ingest: read a user's file, map its columns to roles, validate every row, store it.

The file is made readable as UTF-8 CSV (:mod:`metrics.readers`), read by DuckDB as text,
and every value is parsed in SQL with the number style and date format detected from the
values (:mod:`metrics.parsing`), so millions of rows stay fast and memory stays bounded.
Rows that cannot be used are set aside with a reason; the rest is stored in one
transaction: a failed upload stores nothing and leaves existing datasets alone. A dry run
does all of it and stores nothing, to show the report before the user commits.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import duckdb
import pandas as pd

from metrics.errors import InputError
from metrics.i18n import N_, Nn_, format_number, t, tn
from metrics.limits import MAX_LINE_BYTES, check_rows, line_too_long, upload_too_large
from metrics.page_aggregates import PageTables, drop_page_tables, schedule_page_tables
from metrics.parsing import (
    CURRENCY_HINTS,
    DATE_CELLS,
    DATE_FORMATS,
    NUMBER_CELLS,
    NumberStyle,
    choose_date_format,
    currency_counts,
    date_format_label,
    date_sql,
    detect_number_style,
    number_sql,
    parse_date_format,
    parse_decimal_mark,
    suggest_currency,
    typed_date_sql,
    typed_number_sql,
)
from metrics.progress import ProgressCallback, QueryProgress, Step, no_progress
from metrics.query.sql import load_sql, piece, quote_ident
from metrics.readers import PreparedFile, prepare_file
from metrics.roles import (
    ROMANIAN_LETTERS,
    Role,
    TableKind,
    header_language,
    suggest_mapping,
    table_kind,
    validate_mapping,
)
from metrics.store import PURCHASE_HISTORY_COLUMNS, Dataset, Store, dataset_schema

# A text column with at most this many distinct values is offered as a segment filter.
MAX_SEGMENT_VALUES = 50
# Columns whose distinct values one query counts: each count(DISTINCT) holds a hash table
# of several MB whatever the data, so one query over every column of a wide file ran
# DuckDB out of memory (300 columns of 5 rows took 1.8 GB); batches keep it a few
# tables at a time, and the scans stay one pass over the columns in all.
SEGMENT_BATCH = 16
REJECTED_SAMPLE_ROWS = 1000
PREVIEW_ROWS = 20
DETECTION_SAMPLE = 5000
# A "?" with a letter on each side: a letter the file's code page could not hold (LibreOffice
# writes "Ia?i" for Iași in Windows-1250), not a question mark.
LOST_LETTER_PATTERN = r"\pL\?\pL"
# What DuckDB's reader would read as NULL: no field holds it, so a NULL cell is a field
# the row does not have (a short row), an empty field is ''.
MISSING_FIELD = "\x01\x02"
# Rows longer than the file's first rows are put back one by one: past this many, the file
# is refused (its delimiter is probably not the one read).
MAX_LONG_ROWS = 10_000
# Whether a column whose sampled values the engine reads as they stand is read by its own
# cast, leaving the cleaning to the rows that need it (parsing.typed_first_sql); off, every
# value is cleaned, as the tests compare.
TYPED_FAST_PATH = True
# The role types read from their text by a parse (a date or a number), not stored as text.
PARSED_TYPES = ("date", "amount", "number", "score")
# Rows dated before this day, or after the day of the upload, are set aside unless the user
# keeps them: such a date is nearly always a typo or a wrong date format, and one of them
# stretches the dataset's range (its default view, its trend axis) over empty years.
EARLIEST_DATE = date(1990, 1, 1)
# Why a dataset's amounts are in their currency: besides the file's suggestion
# (metrics.parsing: "column", "amounts", "amount_header", "encoding", "headers"), the
# caller chose it, or the data went into an existing dataset.
CURRENCY_GIVEN, CURRENCY_OF_DATASET = "given", "dataset"
# The report's words for each reason (IngestReport.currency_source).
CURRENCY_REASONS = {
    "column": N_("Currency: {code}, read from the file's currency column"),
    "amounts": N_("Currency: {code}, written beside the amounts"),
    "amount_header": N_("Currency: {code}, written in the name of the amount column"),
    "encoding": N_("Currency: {code}, guessed from the file's encoding (the amounts carry no "
                   "currency sign)"),
    "headers": N_("Currency: {code}, guessed from the language of the column names (the amounts "
                  "carry no currency sign)"),
    "given": N_("Currency: {code}, chosen"),
    "dataset": N_("Currency: {code}, the dataset's"),
}

_REASONS = {
    "missing": N_("{role} is empty."),
    "bad_date": N_("{role} is not a date in the {format} format."),
    "bad_number": N_("{role} is not a number."),
    "bad_score": N_("{role} is not a whole number from {low} to {high}."),
    "no_score": N_("The row has no score."),
    "after_today": N_("{role} is after today ({today})."),
    "before_earliest": N_("{role} is before {year}."),
}
# A row with more or fewer fields than the header (``fields:<count>``).
_MISFIT = Nn_("The row has {n} field where the header has {width}.",
              "The row has {n} fields where the header has {width}.")


@dataclass(frozen=True)
class FileInspection:
    """What a file looks like before anything is stored: headers, preview, suggestions."""

    source: str
    headers: list[str]
    preview: pd.DataFrame
    rows: int
    suggested_mapping: dict[str, str]
    detected: dict[str, str]


@dataclass
class IngestReport:
    """What an ingest did (or, for a dry run, would do).

    ``detected`` says how the file was read: ``encoding``; ``delimiter`` (CSV only);
    ``decimal_mark`` of the amounts and ``date_format`` of the main date (``number
    cells`` and ``date cells`` for typed workbook cells); ``line_items``; ``currency``,
    the currency the file suggests, with ``currency_hint`` ("encoding" or "headers") when
    it is a hint rather than a currency the file writes (in a currency column, beside the
    amounts or in the amount column's name). ``currency`` is the
    currency the dataset's amounts are shown in, ``currency_source`` why: "given" by the
    caller, the existing "dataset"'s, or the file's suggestion ("column", "amounts",
    "amount_header", "encoding", "headers"); both None when nothing told. A dry run of a
    new dataset has no ``dataset_id``. ``rows_out_of_range`` counts the rejected rows
    dated after the day of the upload or before 1990 (none when they are kept).
    """

    dataset_id: str | None
    dataset_name: str
    kind: str
    source: str
    rows_read: int
    rows_stored: int
    rows_rejected: int
    mapping: dict[str, str]
    detected: dict[str, str]
    segment_columns: list[str]
    first_date: date | None
    last_date: date | None
    rejected_by_reason: list[dict[str, Any]] = field(default_factory=list)
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    refunds: int = 0
    orders: int | None = None
    rows_out_of_range: int = 0
    currency: str | None = None
    currency_source: str | None = None

    @property
    def has_amounts(self) -> bool:
        """Whether a column of the file was read as amounts (one a currency applies to)."""
        table = table_kind(self.kind)
        return any(table.role(role).type == "amount" for role in self.mapping)

    def currency_reason(self) -> str | None:
        """The currency of the amounts and where it came from, in words; None without
        amounts."""
        if self.currency and self.currency_source in CURRENCY_REASONS:
            return t(CURRENCY_REASONS[self.currency_source], code=self.currency)
        if self.has_amounts:
            return t("Currency: none, not detected (amounts are shown without a currency "
                     "sign)")
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (dates as ISO strings), with ``currency_reason``."""
        data = asdict(self)
        for key in ("first_date", "last_date"):
            data[key] = data[key].isoformat() if data[key] else None
        return data | {"currency_reason": self.currency_reason()}


class _DryRun(Exception):
    def __init__(self, report: IngestReport) -> None:
        super().__init__("dry run")
        self.report = report


# -- reading ---------------------------------------------------------------------------


def _clean_headers(raw: Sequence[str | None]) -> list[str]:
    """Header names as the user wrote them, trimmed; blanks named, duplicates numbered."""
    headers: list[str] = []
    for position, name in enumerate(raw, start=1):
        text = (name or "").strip() or t("Column {n}", n=position)
        candidate, copy = text, 2
        while candidate.casefold() in {h.casefold() for h in headers}:
            candidate, copy = f"{text} ({copy})", copy + 1
        headers.append(candidate)
    return headers


def _load_raw(cursor: duckdb.DuckDBPyConnection, prepared: PreparedFile, name: str
              ) -> list[str]:
    """Read the file as text into the temporary table ``raw``; return the header names.

    ``raw`` has ``file_row`` (1 = the header row, as a spreadsheet numbers rows) and one
    VARCHAR column per file column, named ``c0, c1, ...``: the header's columns, then any
    a longer row brings. A field the row does not have is NULL, an empty one ''. The
    temporary table ``misfits`` holds the data rows with more or fewer fields than the
    header (``file_row``, ``fields``), which the ingest sets aside.
    """
    # The columns are the widest record of the file's start; a longer row further down
    # is left out by DuckDB's reader into raw_rejects (with its record number) instead of
    # failing the read, and is put back here.
    columns = [f"c{i}" for i in range(prepared.width)]
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
    source = ("read_csv($path, header = false, auto_detect = false, columns = {" + types + "}, "
              "delim = $delimiter, quote = '\"', escape = '\"', null_padding = true, "
              "nullstr = $missing, skip = 0, parallel = $parallel, max_line_size = $max_line, "
              "store_rejects = true, "
              "rejects_table = 'raw_rejects', rejects_scan = 'raw_rejects_scan')")

    def read(parameters: dict[str, Any]) -> None:
        cursor.execute("DROP TABLE IF EXISTS temp.raw_rejects")
        cursor.execute("DROP TABLE IF EXISTS temp.raw_rejects_scan")
        cursor.execute(f"-- the file as text, one row per record of the file, in file order\n"
                       f"CREATE OR REPLACE TEMP TABLE raw_file AS SELECT * FROM {source}",
                       parameters)

    parameters = {"path": str(prepared.path), "delimiter": prepared.delimiter,
                  "missing": MISSING_FIELD, "parallel": True, "max_line": MAX_LINE_BYTES}
    try:
        try:
            read(parameters)
        except duckdb.Error as error:
            # Quoted line breaks with short rows need the single-threaded reader.
            if "parallel=false" not in str(error):
                raise
            read(parameters | {"parallel": False})
        rejects = cursor.execute(
            f"SELECT line, min(error_type), min(csv_line), min(error_message) "
            f"FROM raw_rejects GROUP BY line ORDER BY min(error_type) = 'TOO MANY COLUMNS', "
            f"line LIMIT {MAX_LONG_ROWS + 1}").fetchall()
    except duckdb.Error as error:
        _unreadable(name, str(error))
    if rejects and rejects[0][1] != "TOO MANY COLUMNS":
        _unreadable(name, f"{rejects[0][1]}: {rejects[0][3]}")
    if len(rejects) > MAX_LONG_ROWS:
        raise InputError(tn("{name} has over {n} row with more fields than its first rows: "
                            "check that the delimiter is right, or choose it.",
                            "{name} has over {n} rows with more fields than its first rows: "
                            "check that the delimiter is right, or choose it.", MAX_LONG_ROWS,
                            name=name))
    records = cursor.execute("SELECT count(*) FROM raw_file").fetchone()
    check_rows((records[0] if records else 0) + len(rejects) - 1, name)  # the header is no row
    long_rows = [(int(line), next(csv.reader(io.StringIO(text), delimiter=prepared.delimiter),
                                  [])) for line, _, text, _ in rejects]
    _number_raw_rows(cursor, columns, long_rows)
    width = cursor.execute(
        f"SELECT {' + '.join(f'({c} IS NOT NULL)::INTEGER' for c in columns)} "
        f"FROM raw WHERE file_row = 1").fetchone()
    written = cursor.execute(
        f"SELECT {', '.join(columns[:width[0] if width else 0] or ['NULL'])} FROM raw "
        f"WHERE file_row = 1").fetchone() or ()
    # the header's named columns end at its last name: a row may leave out the blank ones
    named = max((n + 1 for n, cell in enumerate(written) if cell and cell.strip()), default=1)
    headers = _clean_headers(written)
    _find_misfits(cursor, columns, len(headers), named, long_rows)
    return headers


def _unreadable(name: str, error: str) -> NoReturn:
    """Refuse a file DuckDB's CSV reader cannot read, in one sentence."""
    if "max_line_size" in error or "LINE SIZE OVER MAXIMUM" in error:
        raise InputError(line_too_long(name))
    raise InputError(
        t("{name} could not be read as a table with a header row ({detail}). Export it "
          "again as CSV or .xlsx and upload that.", name=name, detail=error.splitlines()[0]))


def _number_raw_rows(cursor: duckdb.DuckDBPyConnection, columns: list[str],
                     long_rows: list[tuple[int, list[str]]]) -> None:
    """The view ``raw``: ``raw_file`` with each row's number in the file.

    A new table's row ids count its rows in insertion order, here the file's: no pass
    to number them, unless the reader left out longer rows. Then the rows after each are
    one further down, and the longer rows come back with the fields that fit.
    """
    if not long_rows:
        cursor.execute("CREATE OR REPLACE TEMP VIEW raw AS "
                       "SELECT rowid + 1 AS file_row, * FROM raw_file")
        return
    cells = ", ".join(columns)
    cursor.execute(f"CREATE OR REPLACE TEMP TABLE raw_long (file_row BIGINT, "
                   f"{', '.join(f'{c} VARCHAR' for c in columns)})")
    cursor.executemany(f"INSERT INTO raw_long VALUES ({', '.join('?' * (len(columns) + 1))})",
                       [[line, *(fields + [None] * len(columns))[:len(columns)]]
                        for line, fields in long_rows])
    cursor.execute(load_sql("ingest_numbered_rows").format(cells=cells))
    cursor.execute("CREATE OR REPLACE TEMP VIEW raw AS SELECT * FROM raw_numbered")


def _find_misfits(cursor: duckdb.DuckDBPyConnection, columns: list[str], width: int,
                  named: int, long_rows: list[tuple[int, list[str]]]) -> None:
    """The temporary table ``misfits``: data rows with fewer or more fields than the
    header's ``width``, and how many they have.

    Fields after the header's that are empty (a trailing delimiter) are no more fields,
    and a row may stop after the ``named`` columns (those up to the header's last name).
    """
    extra = " OR ".join(f"NULLIF(trim({c}), '') IS NOT NULL" for c in columns[width:])
    fields = " + ".join(f"({c} IS NOT NULL)::INTEGER" for c in columns)
    cursor.execute(
        f"-- the rows that do not have the header's number of fields\n"
        f"CREATE OR REPLACE TEMP TABLE misfits AS SELECT file_row, {fields} AS fields "
        f"FROM raw WHERE {_data_rows_filter(width)} AND ({columns[named - 1]} IS NULL"
        f"{' OR ' + extra if extra else ''})")
    if not long_rows:
        return
    # the rows longer than the reader's columns: whether they fit was seen in Python
    cursor.executemany("DELETE FROM misfits WHERE file_row = ?", [(n,) for n, _ in long_rows])
    cursor.executemany("INSERT INTO misfits VALUES (?, ?)", [
        (line, len(fields_)) for line, fields_ in long_rows
        if len(fields_) < named or any(f.strip() for f in fields_[width:])])


def _data_rows_filter(width: int) -> str:
    """SQL condition for the data rows: after the header, not entirely blank.

    A cell is blank when trimming leaves nothing; one that starts with a printable ASCII
    character (nearly every cell) is not, which spares trimming it.
    """
    not_blank = " OR ".join(
        f"(c{i} <> '' AND (ascii(c{i}) BETWEEN 33 AND 126 OR trim(c{i}) <> ''))"
        for i in range(width))
    return f"file_row > 1 AND ({not_blank})"


def _sample(cursor: duckdb.DuckDBPyConnection, column: str, where: str) -> list[str]:
    rows = cursor.execute(
        f"SELECT DISTINCT trim({column}) FROM (SELECT {column} FROM raw WHERE {where} "
        f"AND NULLIF(trim({column}), '') IS NOT NULL LIMIT {DETECTION_SAMPLE * 4}) "
        f"LIMIT {DETECTION_SAMPLE}"
    ).fetchall()
    return [row[0] for row in rows]


def _detect_date_format(cursor: duckdb.DuckDBPyConnection, values: list[str], header: str
                        ) -> str:
    if not values:
        return next(iter(DATE_FORMATS))
    counts_sql = ", ".join(f"count({date_sql('v', fmt)})" for fmt in DATE_FORMATS)
    row = cursor.execute(f"SELECT {counts_sql} FROM (SELECT unnest($values) AS v)",
                         {"values": values}).fetchone()
    assert row is not None
    return choose_date_format(dict(zip(DATE_FORMATS, row, strict=True)), header, values[0])


def _reads_typed(cursor: duckdb.DuckDBPyConnection, values: list[str], typed: str | None
                 ) -> bool:
    """Whether any sampled value reads by the engine's own cast (``typed``, SQL of ``v``):
    then the column takes the typed fast path, and only its other rows are cleaned."""
    if not TYPED_FAST_PATH or typed is None or not values:
        return False
    row = cursor.execute(f"SELECT count({typed}) FROM (SELECT unnest($values) AS v)",
                         {"values": values}).fetchone()
    return bool(row and row[0])


def inspect_file(path: Path | str, kind: str = "orders", source: str | None = None,
                 sheet: str | None = None, *, encoding: str | None = None,
                 delimiter: str | None = None, progress: ProgressCallback = no_progress
                 ) -> FileInspection:
    """Read a file without storing it: headers, a preview and the suggested mapping.

    ``encoding`` and ``delimiter`` override the detected ones, as in :func:`ingest_file`;
    ``progress`` is told how far the reading has come.
    """
    path = Path(path)
    table = table_kind(kind)
    with (tempfile.TemporaryDirectory() as work, duckdb.connect() as cursor,
          QueryProgress(cursor, progress) as progress):
        progress(Step("reading"))
        prepared = prepare_file(path, Path(work), sheet, name=source, encoding=encoding,
                                delimiter=delimiter)
        headers = _load_raw(cursor, prepared, source or path.name)
        where = _data_rows_filter(len(headers))
        rows = cursor.execute(f"SELECT count(*) FROM raw WHERE {where}").fetchone()
        preview = cursor.execute(
            f"SELECT {', '.join(f'c{i}' for i in range(len(headers)))} FROM raw WHERE {where} "
            f"ORDER BY file_row LIMIT {PREVIEW_ROWS}"
        ).df()
        suggested = suggest_mapping(table, headers)
        detected = _file_detected(prepared)
        amount = next((suggested[role.name] for role in table.roles
                       if role.type == "amount" and role.name in suggested), None)
        if amount:
            column = _currency_column(cursor, "raw", f"c{headers.index(suggested['currency'])}",
                                      where) if "currency" in suggested else None
            detected |= _currency_detected(_suggest_currency(
                cursor, prepared, headers, table, suggested,
                _sample(cursor, f"c{headers.index(amount)}", where), column))
    preview.columns = headers
    return FileInspection(
        source=source or path.name,
        headers=headers,
        preview=preview,
        rows=int(rows[0]) if rows else 0,
        suggested_mapping=suggested,
        detected=detected,
    )


@dataclass(frozen=True)
class CustomerMatch:
    """How many rows of a file name a customer of a dataset (:func:`customer_matches`)."""

    dataset_id: str
    dataset_name: str
    matched: int  # rows whose customer id is one of the dataset's customers
    rows: int  # the file's data rows


def customer_matches(store: Store, path: Path | str, customer_column: str,
                     source: str | None = None, sheet: str | None = None, *,
                     encoding: str | None = None, delimiter: str | None = None
                     ) -> list[CustomerMatch]:
    """For each dataset with customers, how many rows of a file name one of them.

    Survey answers belong with the shop whose customers gave them: the dataset whose
    customer ids (of its orders and its customer data) match the most rows is the one
    to store them in. Ids match as stored: trimmed, letter case kept.

    Parameters
    ----------
    store
        The datasets to compare with.
    path
        The file (read as :func:`ingest_file` reads it; nothing is stored).
    customer_column
        The file's column of customer ids, a header as :func:`inspect_file` gives it.
    source, sheet
        The file name to show in errors, and the sheet of a workbook.
    encoding, delimiter
        The user's reading options, as in :func:`ingest_file`.

    Returns
    -------
    list of CustomerMatch
        One per dataset that has orders or customer data, the most matched rows first
        (then newest first); datasets that match no row included.
    """
    with tempfile.TemporaryDirectory() as work:
        customers = write_file_customers(path, customer_column, Path(work) / "customers.parquet",
                                         source, sheet, encoding=encoding, delimiter=delimiter)
        return matches_of_file_customers(store, customers)


def write_file_customers(path: Path | str, customer_column: str, out: Path,
                         source: str | None = None, sheet: str | None = None, *,
                         encoding: str | None = None, delimiter: str | None = None) -> Path:
    """Write the customer id of every data row of a file to the Parquet file ``out``.

    The reading half of :func:`customer_matches` (same parameters), which needs no store:
    the Data page runs it in a process of its own (:mod:`metrics.isolation`).
    """
    path = Path(path)
    with tempfile.TemporaryDirectory() as work, duckdb.connect() as cursor:
        prepared = prepare_file(path, Path(work), sheet, name=source, encoding=encoding,
                                delimiter=delimiter)
        headers = _load_raw(cursor, prepared, source or path.name)
        if customer_column not in headers:
            raise InputError(t("The file has no column “{column}”: pick one of its columns.",
                               column=customer_column))
        cursor.sql(
            f"-- the customer id of every data row of the file\n"
            f"SELECT NULLIF(trim(c{headers.index(customer_column)}), '') AS customer_id "
            f"FROM raw WHERE {_data_rows_filter(len(headers))}").write_parquet(str(out))
    return out


def matches_of_file_customers(store: Store, customers: Path) -> list[CustomerMatch]:
    """:func:`customer_matches` of the customer ids :func:`write_file_customers` wrote."""
    datasets = [d for d in store.datasets() if {"orders", "customers"} & set(d.tables)]
    queries = [load_sql("ingest_known_customers").format(dataset_customer_ids=" UNION ALL ".join(
        f"SELECT customer_id FROM {dataset.table(kind)}" for kind in ("orders", "customers")
        if kind in dataset.tables)) for dataset in datasets]
    # one reader: the server's query time limit, and one sentence for a dataset deleted
    # by someone else meanwhile
    with store.reader("\n".join(queries)) as cursor:
        cursor.execute("-- the customer id of every data row of the file\n"
                       "CREATE OR REPLACE TEMP TABLE file_customers AS "
                       "SELECT customer_id FROM read_parquet($path)", {"path": str(customers)})
        matches = []
        for dataset, query in zip(datasets, queries, strict=True):
            row = cursor.execute(query).fetchone()
            matched, rows = row if row else (0, 0)
            matches.append(CustomerMatch(dataset.id, dataset.name, int(matched), int(rows)))
    return sorted(matches, key=lambda match: -match.matched)  # stable: newest first on ties


def _file_detected(prepared: PreparedFile) -> dict[str, str]:
    """What the report says of the file itself: its encoding, and a CSV's delimiter."""
    detected = {"encoding": prepared.encoding_name}
    if not prepared.is_workbook:  # a workbook has no delimiter (its CSV copy is ours)
        detected["delimiter"] = prepared.delimiter
    return detected


def _currency_column(cursor: duckdb.DuckDBPyConnection, relation: str, column: str,
                     where: str) -> dict[str, int]:
    """The currencies of a currency column and their rows (``raw`` or ``parsed``)."""
    values = cursor.execute(
        f"-- the rows of each value of the currency column\n"
        f"SELECT trim({column}), count(*) FROM {relation} WHERE {where} "
        f"AND NULLIF(trim({column}), '') IS NOT NULL GROUP BY 1").fetchall()
    return currency_counts(dict(values))


def _suggest_currency(cursor: duckdb.DuckDBPyConnection, prepared: PreparedFile,
                      headers: list[str], table: TableKind, mapping: Mapping[str, str],
                      amounts: Sequence[str], column: Mapping[str, int] | None
                      ) -> tuple[str, str] | None:
    """The currency the file suggests and why (:func:`metrics.parsing.suggest_currency`)."""
    romanian = False
    if prepared.encoding == "cp1250":
        text = f"concat_ws(' ', {', '.join(f'c{i}' for i in range(len(headers)))})"
        row = cursor.execute(
            f"-- whether the text (a sample of rows) holds letters only Romanian writes\n"
            f"SELECT count(*) FROM (SELECT * FROM raw LIMIT {DETECTION_SAMPLE * 4}) "
            f"WHERE regexp_matches({text}, $letters)", {"letters": f"[{ROMANIAN_LETTERS}]"}
        ).fetchone()
        romanian = bool(row and row[0])
    amount_headers = [mapping[role.name] for role in table.roles
                      if role.type == "amount" and role.name in mapping]
    return suggest_currency(amounts, prepared.encoding, romanian,
                            header_language(list(mapping.values())), column, amount_headers)


def _currency_detected(suggestion: tuple[str, str] | None) -> dict[str, str]:
    """The report's ``currency`` (and ``currency_hint`` when it is only a hint)."""
    if suggestion is None:
        return {}
    code, source = suggestion
    return {"currency": code} | ({"currency_hint": source} if source in CURRENCY_HINTS else {})


# -- validating and storing ------------------------------------------------------------


@dataclass
class _Plan:
    """How each mapped role is read: its raw column and its parse expression."""

    table: TableKind
    mapping: dict[str, str]
    column_of: dict[str, str]
    date_formats: dict[str, str] = field(default_factory=dict)
    number_marks: dict[str, str] = field(default_factory=dict)
    amount_sample: list[str] | None = None  # of the first amount role: its currency
    today: date = field(default_factory=date.today)
    # whether rows whose main date is before EARLIEST_DATE or after today are set aside
    date_bounds: bool = True
    # the roles read by the engine's own cast first (_reads_typed), the rest cleaned
    typed_roles: set[str] = field(default_factory=set)

    def roles(self) -> list[Role]:
        return [role for role in self.table.roles if role.name in self.mapping]

    def raw(self, role: Role) -> str:
        return self.column_of[self.mapping[role.name]]

    def value_sql(self, role: Role, text: str) -> str:
        """The typed value of a role from its text (NULL when blank), trimmed or not."""
        typed = role.name in self.typed_roles
        if role.type == "date":
            return date_sql(text, self.date_formats[role.name], typed)
        if role.type == "amount":
            return number_sql(text, NumberStyle(self.number_marks[role.name]), typed=typed)
        if role.type in ("number", "score"):
            return number_sql(text, NumberStyle(self.number_marks[role.name]), "DOUBLE",
                              typed)
        return text


def _plan(cursor: duckdb.DuckDBPyConnection, table: TableKind, mapping: dict[str, str],
          headers: list[str], where: str, date_format: str | None, today: date,
          date_bounds: bool, decimal_mark: str | None, prepared: PreparedFile) -> _Plan:
    plan = _Plan(table, mapping, {h: f"c{i}" for i, h in enumerate(headers)}, today=today,
                 date_bounds=date_bounds)
    for role in plan.roles():
        column, header = plan.raw(role), mapping[role.name]
        if role.type == "date":
            values = _sample(cursor, column, where)
            chosen = parse_date_format(date_format) if (
                date_format and role.name == table.date_role) else None
            date_format_of = chosen or _detect_date_format(cursor, values, header)
            plan.date_formats[role.name] = date_format_of
            typed = typed_date_sql("v", date_format_of)
        elif role.type in ("amount", "number", "score"):
            values = _sample(cursor, column, where)
            # typed workbook cells are written with a point whatever the user chose
            chosen_mark = decimal_mark if prepared.cell_kind(headers.index(header)) != (
                "number") else None
            plan.number_marks[role.name] = chosen_mark or detect_number_style(
                values).decimal_mark
            if role.type == "amount" and plan.amount_sample is None:
                plan.amount_sample = values
            typed = typed_number_sql("v", NumberStyle(plan.number_marks[role.name]),
                                     "DOUBLE" if role.type != "amount" else "DECIMAL(18, 4)")
        else:
            continue
        if _reads_typed(cursor, values, typed):
            plan.typed_roles.add(role.name)
    return plan


def _parse_rows(cursor: duckdb.DuckDBPyConnection, plan: _Plan, headers: list[str],
                where: str, line_items: str | None) -> int:
    """Create the temporary table ``parsed``: typed role columns, extras, and a reason;
    return how many rows were set aside for a date out of range.

    ``line_items`` ('first', 'repeated' or 'sum') says that rows sharing an order id are
    the lines of one order: order-level fields missing on a line are taken from the
    order's first line that has them.
    """
    def text_of(role: Role) -> str:
        raw = f"NULLIF(trim({plan.raw(role)}), '')"
        order_level = role.name not in ("product", "quantity", "order_id") and not (
            role.name == "amount" and line_items == "sum")
        if line_items and order_level:
            return (f"COALESCE({raw}, FIRST_VALUE({raw} IGNORE NULLS) OVER "
                    f"(PARTITION BY NULLIF(trim({plan.raw(plan.table.role('order_id'))}), '') "
                    f"ORDER BY file_row ROWS BETWEEN UNBOUNDED PRECEDING AND "
                    f"UNBOUNDED FOLLOWING))")
        # a date or a number is parsed from the text as written: its parse trims what it
        # reads (the typed cast reads a value between spaces, the cleaning trims), so
        # only the rows it cannot read pay for the trim that tells blank from bad
        return plan.raw(role) if role.type in PARSED_TYPES else raw

    texts = {role.name: text_of(role) for role in plan.roles()}
    inner = ["file_row"] + [f"{texts[r.name]} AS {quote_ident('t_' + r.name)}"
                            for r in plan.roles()]
    extras = [h for h in headers if h not in plan.mapping.values()]
    inner += [f"NULLIF(trim({plan.column_of[h]}), '') AS {quote_ident(_extra_name(h, plan.table))}"
              for h in extras]
    selects = ["file_row"]
    checks: list[str] = []
    for role in plan.roles():
        text = quote_ident("t_" + role.name)
        value = plan.value_sql(role, text)
        if role.type == "score":
            value = (f"CASE WHEN {value} = floor({value}) AND {value} BETWEEN {role.low} "
                     f"AND {role.high} THEN CAST({value} AS INTEGER) END")
        selects.append(f"{value} AS {quote_ident(role.name)}")
        if role.type not in PARSED_TYPES:
            if role.required:
                checks.append(f"WHEN {text} IS NULL THEN 'missing:{role.name}'")
            continue
        # a value read means a text that is not blank: blank and bad are told apart (by
        # the trim) only where no value is read
        blank = _blank_sql(text)
        if role.required:
            checks.append(f"WHEN {value} IS NULL AND {blank} THEN 'missing:{role.name}'")
        problem = {"date": "bad_date", "score": "bad_score"}.get(role.type, "bad_number")
        checks.append(f"WHEN {value} IS NULL AND NOT {blank} THEN '{problem}:{role.name}'")
    scores = [_blank_sql(quote_ident("t_" + r.name)) for r in plan.roles() if r.one_of]
    if scores:
        checks.append(f"WHEN {' AND '.join(scores)} THEN 'no_score:'")
    selects += [quote_ident(_extra_name(h, plan.table)) for h in extras]
    rows = "raw"
    misfits = cursor.execute("SELECT count(*) FROM misfits").fetchone()
    if misfits and misfits[0]:  # set aside before anything else: their fields are shifted
        rows = "raw LEFT JOIN misfits USING (file_row)"
        inner.append("misfits.fields AS row_fields")
        checks.insert(0, "WHEN row_fields IS NOT NULL THEN 'fields:' || row_fields")
    reason = f"CASE {' '.join(checks)} END AS reason" if checks else "NULL AS reason"
    cursor.execute(
        f"-- every data row, parsed, with the reason it cannot be used (NULL when it can)\n"
        f"CREATE OR REPLACE TEMP TABLE parsed AS SELECT {', '.join(selects)}, {reason} "
        f"FROM (SELECT {', '.join(inner)} FROM {rows} WHERE {where}) AS texts"
    )
    main_date = plan.table.date_role
    if not plan.date_bounds or main_date not in plan.date_formats:
        return 0
    # on the typed dates (no second parse), for the rows nothing else set aside
    date_column = quote_ident(main_date)
    updated = cursor.execute(
        f"-- rows dated after the day of the upload or before the earliest day\n"
        f"UPDATE parsed SET reason = CASE WHEN {date_column} > $today "
        f"THEN 'after_today:{main_date}' ELSE 'before_earliest:{main_date}' END "
        f"WHERE reason IS NULL AND ({date_column} > $today OR {date_column} < $earliest)",
        {"today": plan.today, "earliest": EARLIEST_DATE}).fetchone()
    return int(updated[0]) if updated else 0


def _blank_sql(text: str) -> str:
    """SQL condition: the text is NULL or nothing but spaces (what is stored as NULL)."""
    return f"(NULLIF(trim({text}), '') IS NULL)"


def _line_item_mode(cursor: duckdb.DuckDBPyConnection, plan: _Plan, where: str) -> str | None:
    """How a file with several rows per order id carries the order total, if it does.

    'first': the total is on the order's first row only (Shopify); 'repeated': every line
    repeats it (WooCommerce); 'sum': each line has its own amount, added up.
    """
    if "order_id" not in plan.mapping:
        return None
    order = f"NULLIF(trim({plan.raw(plan.table.role('order_id'))}), '')"
    amount = f"NULLIF(trim({plan.raw(plan.table.role('amount'))}), '')"
    row = cursor.execute(load_sql("ingest_amount_layout").format(
        order_id=order, amount=amount, data_rows=where)).fetchone()
    assert row is not None
    multi, first, repeated = row
    if multi == 0:
        return None
    if first * 2 >= multi:
        return "first"
    if repeated * 2 >= multi:
        return "repeated"
    return "sum"


def ingest_file(
    store: Store,
    path: Path | str,
    *,
    dataset: str,
    kind: str = "orders",
    mapping: Mapping[str, str] | None = None,
    currency: str | None = None,
    source: str | None = None,
    replace: bool = False,
    date_format: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    max_bytes: int | None = None,
    keep_out_of_range_dates: bool = False,
    today: date | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal_mark: str | None = None,
    workspace: str | None = None,
    progress: ProgressCallback = no_progress,
    page_aggregates: PageTables = "now",
) -> IngestReport:
    """Validate a file and store its usable rows as the ``kind`` table of a dataset.

    Parameters
    ----------
    store
        The database to store into.
    path
        The file: CSV in any of the supported encodings and delimiters, or .xlsx.
    dataset
        Name of the dataset; created when no dataset has this name.
    kind
        The canonical table the file fills: orders, customers, subscriptions, responses
        or spend.
    mapping
        ``{role: column header}``; roles left out are suggested from the headers.
    currency
        ISO code of the amounts' currency (for display), for a new dataset. Without it,
        the currency the file suggests (a sign beside the amounts, else a hint from the
        encoding or the column names), or none; the report says which and why.
    source
        The file name to show in reports (defaults to the path's name).
    replace
        Replace the dataset's existing table of this kind instead of refusing.
    date_format
        The format of the main date column (``dd/mm/yyyy`` ...), when the values cannot
        tell day-first from month-first.
    sheet
        The sheet of an Excel workbook (default: the first).
    dry_run
        Validate and report, store nothing.
    max_bytes
        Refuse larger files (the dashboard's upload limit).
    keep_out_of_range_dates
        Store rows whose main date (order, response, start or spend date) is after
        ``today`` or before 1990 (:data:`EARLIEST_DATE`); by default they are set aside
        as rejected rows with their reason.
    today
        The day of the upload (default: the computer's date today).
    encoding, delimiter, decimal_mark
        The file's encoding (``cp1250``, ``utf-8``, ...), delimiter (one character or
        ``tab``) and the decimal mark of its numbers (``,`` or ``.``), when the detected
        ones are wrong; a workbook has no encoding or delimiter, and its number cells no
        decimal mark.
    workspace
        The workspace the dataset is looked up in, and a new one stored in (default: the
        store's, see :meth:`metrics.store.Store.target_workspace`).
    progress
        Called with a :class:`~metrics.progress.Step` as the ingest reads the file,
        checks its rows and stores them, and when it is done (the rows stored).
    page_aggregates
        When the pages' tables of the common filter states are built for orders
        (:mod:`metrics.page_aggregates`), always after the orders are published: in this
        call ("now"), in a process of their own that outlives it ("background"), or not
        at all ("none": a file only checked in a scratch store).

    Raises
    ------
    InputError
        The file cannot be read, a required role has no column, or no row is usable.
        Nothing is stored then. :class:`~metrics.errors.AccessDenied` when the workspace
        is not the user's. :class:`metrics.parsing.AmbiguousDates` when the dates
        could be day-first or month-first and ``date_format`` does not say.
    """
    path = Path(path)
    source = source or path.name
    table = table_kind(kind)
    if max_bytes is not None and path.exists() and path.stat().st_size > max_bytes:
        raise InputError(upload_too_large(source, path.stat().st_size, max_bytes))
    if decimal_mark is not None:
        decimal_mark = parse_decimal_mark(decimal_mark)
    name = dataset.strip()
    if not name:
        raise InputError(t("Give the dataset a name, for example “Shop orders 2025”."))
    workspace = workspace or store.workspace
    existing = store.find_dataset(name, workspace)
    if existing is None:
        store.target_workspace(workspace)  # refused before the file is read
    if existing and kind in existing.tables and not replace:
        raise InputError(
            t("The dataset “{name}” already has {kind} data: choose another dataset name, or "
              "replace its data.", name=existing.name, kind=table.label.lower())
        )
    try:
        with (tempfile.TemporaryDirectory() as work, store.writer() as cursor,
              QueryProgress(cursor, progress) as progress):
            progress(Step("reading"))
            prepared = prepare_file(path, Path(work), sheet, name=source, encoding=encoding,
                                    delimiter=delimiter)
            headers = _load_raw(cursor, prepared, source)  # temporary: before the transaction
            with store.atomic(cursor):
                report = _ingest(store, cursor, prepared, headers, table,
                                 name, workspace, existing, mapping, currency, source,
                                 date_format, keep_out_of_range_dates, today, decimal_mark,
                                 progress)
                if table.name == "orders" and report.dataset_id is not None:
                    drop_page_tables(cursor, report.dataset_id)  # of the orders replaced
                if dry_run:
                    report.dry_run = True
                    if existing is None:  # its id was made up, and is rolled back with it
                        report.dataset_id = None
                    raise _DryRun(report)
    except _DryRun as rolled_back:
        report = rolled_back.report
    if table.name == "orders" and not dry_run and report.dataset_id is not None:
        # the dataset is published and usable: its pages run their queries until then
        schedule_page_tables(store, report.dataset_id, page_aggregates)
    progress(Step("done", rows=report.rows_stored))
    return report


def _ingest(store: Store, cursor: duckdb.DuckDBPyConnection, prepared: PreparedFile,
            headers: list[str], table: TableKind, name: str, workspace: str | None,
            existing: Dataset | None,
            mapping: Mapping[str, str] | None, currency: str | None, source: str,
            date_format: str | None, keep_out_of_range_dates: bool, today: date | None,
            decimal_mark: str | None, progress: ProgressCallback) -> IngestReport:
    chosen = suggest_mapping(table, headers) | dict(mapping or {})
    chosen = {role: column for role, column in chosen.items() if column}
    validate_mapping(table, chosen, headers)
    where = _data_rows_filter(len(headers))
    # any data row at all (counted with the parsed rows below)
    if cursor.execute(f"SELECT 1 FROM raw WHERE {where} LIMIT 1").fetchone() is None:
        raise InputError(t("{name} has a header row but no data rows.", name=source))
    records = cursor.execute("SELECT count(*) - 1 FROM raw").fetchone()  # the header is no row
    progress(Step("checking", total=records[0] if records else None))
    plan = _plan(cursor, table, chosen, headers, where, date_format, today or date.today(),
                 date_bounds=not keep_out_of_range_dates, decimal_mark=decimal_mark,
                 prepared=prepared)
    line_items = _line_item_mode(cursor, plan, where) if table.name == "orders" else None
    out_of_range = _parse_rows(cursor, plan, headers, where, line_items)

    counts = cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM parsed").fetchone()
    assert counts is not None
    read, usable = int(counts[0]), int(counts[1])
    rejected_by_reason, rejected_rows = _rejections(cursor, plan, headers)
    if usable == 0:
        raise InputError(
            t("None of the {n} rows could be used: {reason} Check that the right columns "
              "are chosen for each role.", n=format_number(read),
              reason=rejected_by_reason[0]["reason"])
        )

    currencies = _currency_column(cursor, "parsed", "currency", "reason IS NULL"
                                  ) if "currency" in chosen else None
    suggestion = _suggest_currency(cursor, prepared, headers, table, chosen,
                                   plan.amount_sample, currencies
                                   ) if plan.amount_sample is not None else None
    currency_source: str | None = None
    if existing:
        currency, currency_source = existing.currency, CURRENCY_OF_DATASET
    elif currency:
        currency_source = CURRENCY_GIVEN
    elif suggestion:
        currency, currency_source = suggestion
    if currency is None:
        currency_source = None
    # order lines of an earlier upload belong to its orders: replaced with them
    replacing = (table.name, "order_items") if table.name == "orders" else (table.name,)
    dataset_id = (store.edit_dataset(cursor, existing.id, replacing) if existing
                  else store.register_dataset(cursor, name, currency, workspace))
    target = f"{quote_ident(dataset_schema(dataset_id))}.{quote_ident(table.name)}"
    extras = [_extra_name(h, table) for h in headers if h not in chosen.values()]
    role_columns = [role.name for role in plan.roles()]
    # what reads the file's text is done with it: its memory goes to storing the rows
    renamed = _renamed_columns_warning(cursor, headers)
    lost_letters = _lost_letters_warning(cursor, prepared, len(headers), where
                                         ) if prepared.is_legacy_encoding else []
    _release_raw(cursor)
    progress(Step("storing", total=usable))
    cursor.execute(f"DROP TABLE IF EXISTS {target}")
    if table.name == "orders":  # order lines of an earlier upload belong to its orders
        store.forget_table(cursor, dataset_id, "order_items")
    if line_items:
        _store_line_items(cursor, dataset_id, role_columns, extras, line_items)
        items = f"{quote_ident(dataset_schema(dataset_id))}.order_items"
        lines = cursor.execute(f"SELECT count(*), min(order_date), max(order_date) FROM {items}"
                               ).fetchone() or (0, None, None)
        store.register_table(cursor, dataset_id, "order_items", {
            "source": source, "rows": lines[0], "mapping": {}, "segment_columns": [],
            "first_date": lines[1], "last_date": lines[2]})
    else:
        order_by = ", ".join(quote_ident(c) for c in ("customer_id", table.date_role)
                             if c and c in role_columns) or "file_row"
        usable_rows = (f"SELECT {', '.join(quote_ident(c) for c in role_columns + extras)} "
                       f"FROM parsed WHERE reason IS NULL")
        if table.name == "orders":  # stored with its purchase history in one pass
            _store_purchase_history(cursor, target, f"({usable_rows}) AS usable_rows")
        else:
            cursor.execute(f"-- the usable rows, sorted by customer and date for fast scans\n"
                           f"CREATE TABLE {target} AS {usable_rows} ORDER BY {order_by}")
    if line_items:
        _add_purchase_history(cursor, dataset_id)
    segments = _segment_columns(cursor, target, [
        c for c in role_columns + extras
        if c in extras or (table.role(c).type == "text" and c not in ("product", "comment"))])
    first = last = None
    if table.date_role and table.date_role in role_columns:
        first, last = cursor.execute(
            f"SELECT min({quote_ident(table.date_role)}), max({quote_ident(table.date_role)}) "
            f"FROM {target}").fetchone() or (None, None)
    warnings = renamed + _warnings(cursor, plan, line_items, target)
    if currencies and len(currencies) > 1 and plan.amount_sample is not None:
        warnings.append(t("The amounts are in several currencies ({currencies}) and are added "
                          "up as they are: store each currency as a dataset of its own to "
                          "keep them apart.", currencies=", ".join(
                              tn("{code}: {n} row", "{code}: {n} rows", rows, code=code)
                              for code, rows in currencies.items())))
    warnings += lost_letters
    refunds = 0
    if table.name == "orders":
        refund_row = cursor.execute(f"SELECT count(*) FROM {target} WHERE amount < 0").fetchone()
        refunds = int(refund_row[0]) if refund_row else 0
    # what the table holds, as users count it: orders (lines grouped), customers, answers
    stored_row = cursor.execute(f"SELECT count(*) FROM {target}").fetchone()
    stored = int(stored_row[0]) if stored_row else 0
    store.register_table(cursor, dataset_id, table.name, {
        "source": source, "rows": stored, "mapping": chosen, "segment_columns": segments,
        "first_date": first, "last_date": last,
    })

    def cells(role_name: str) -> str | None:  # "date" / "number": typed workbook cells
        return prepared.cell_kind(headers.index(chosen[role_name]))

    detected = _file_detected(prepared)
    if table.date_role in plan.date_formats:
        detected["date_format"] = DATE_CELLS if cells(table.date_role) == "date" else (
            date_format_label(plan.date_formats[table.date_role]))
    marks = {NUMBER_CELLS if cells(r) == "number" else plan.number_marks[r]
             for r in plan.number_marks if table.role(r).type == "amount"}
    if marks:
        detected["decimal_mark"] = marks.pop() if len(marks) == 1 else ", ".join(sorted(marks))
    if line_items:
        detected["line_items"] = line_items
    detected |= _currency_detected(suggestion)
    return IngestReport(
        dataset_id=dataset_id,
        dataset_name=existing.name if existing else name,
        kind=table.name,
        source=source,
        rows_read=read,
        rows_stored=usable,
        rows_rejected=read - usable,
        mapping=chosen,
        detected=detected,
        segment_columns=segments,
        first_date=first,
        last_date=last,
        rejected_by_reason=rejected_by_reason,
        rejected_rows=rejected_rows,
        warnings=warnings,
        refunds=refunds,
        orders=stored if line_items else None,
        rows_out_of_range=out_of_range,
        currency=currency,
        currency_source=currency_source,
    )


def _store_line_items(cursor: duckdb.DuckDBPyConnection, dataset_id: str,
                      role_columns: list[str], extras: list[str], mode: str) -> None:
    """One order per order id (total counted once), and the lines in ``order_items``.

    An order with any unusable line is set aside whole, so no order is half counted.
    """
    schema = quote_ident(dataset_schema(dataset_id))
    usable = piece(load_sql("ingest_usable_lines"))
    line_level = {"product", "quantity", "order_id", "amount", "category"}
    order_level = [c for c in role_columns if c not in line_level] + extras
    amount = "SUM(amount)" if mode == "sum" else "arg_min(amount, file_row)"
    firsts = ", ".join(f"arg_min({quote_ident(c)}, file_row) AS {quote_ident(c)}"
                       for c in order_level)
    cursor.execute(load_sql("ingest_orders_from_lines").format(
        orders_table=f"{schema}.orders", first_line_fields=firsts, amount=amount,
        category=(", arg_min(category, file_row) AS category" if "category" in role_columns
                  else ""),
        usable_lines=usable))
    item_columns = [c for c in ("product", "category", "quantity") if c in role_columns]
    line_amount = ", amount AS line_amount" if mode == "sum" else ""
    cursor.execute(f"DROP TABLE IF EXISTS {schema}.order_items")
    cursor.execute(load_sql("ingest_order_items").format(
        items_table=f"{schema}.order_items",
        item_columns="".join(", " + quote_ident(c) for c in item_columns) + line_amount,
        usable_lines=usable))


def _warnings(cursor: duckdb.DuckDBPyConnection, plan: _Plan, line_items: str | None,
              target: str) -> list[str]:
    """What is stored but looks wrong: dates kept out of range, repeated ids, id spellings."""
    warnings: list[str] = []
    date_role = plan.table.date_role
    if date_role in plan.date_formats:
        date_column = quote_ident(date_role)
        row = cursor.execute(
            f"-- the usable rows dated after today and before the earliest day (kept)\n"
            f"SELECT count(*) FILTER (WHERE {date_column} > $today), "
            f"min({date_column}) FILTER (WHERE {date_column} > $today), "
            f"count(*) FILTER (WHERE {date_column} < $earliest), "
            f"min({date_column}) FILTER (WHERE {date_column} < $earliest) "
            f"FROM parsed WHERE reason IS NULL",
            {"today": plan.today, "earliest": EARLIEST_DATE}).fetchone()
        if row and row[0]:
            warnings.append(tn("{n} row is dated after today ({day}): check the date format.",
                               "{n} rows are dated after today (the first on {day}): check "
                               "the date format.", row[0], day=row[1].isoformat()))
        if row and row[2]:
            warnings.append(tn("{n} row is dated before {year} ({day}): check the date format.",
                               "{n} rows are dated before {year} (the first on {day}): check "
                               "the date format.", row[2], day=row[3].isoformat(),
                               year=EARLIEST_DATE.year))
    if line_items:
        row = cursor.execute("SELECT count(DISTINCT order_id) FROM (SELECT order_id FROM parsed "
                             "WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1)"
                             ).fetchone()
        how = {"first": t("the total was taken from each order's first row"),
               "repeated": t("the total repeated on each line was counted once"),
               "sum": t("the amounts of the lines were added up")}[line_items]
        warnings.append(tn("{n} order id appears on several rows: they were read as the lines "
                           "of one order, and {how}.",
                           "{n} order ids appear on several rows: they were read as the lines "
                           "of one order each, and {how}.", row[0] if row else 0, how=how))
    if "customer_id" in plan.mapping:
        row = cursor.execute(
            load_sql("ingest_customer_spellings").format(target=target)).fetchone()
        if row and row[0]:
            warnings.append(tn("{n} customer appears under several spellings ({example}) and "
                               "is counted as several customers: correct the spelling in the "
                               "source if they are the same person.",
                               "{n} customers appear under several spellings (for example "
                               "{example}) and are counted as different customers: correct "
                               "the spelling in the source if they are the same person.",
                               row[0], example=row[1]))
    return warnings


def _release_raw(cursor: duckdb.DuckDBPyConnection) -> None:
    """Drop the file's text (``raw`` and the tables behind it) once the rows are parsed and
    everything that shows the file's own values has read it: at 10 million rows it held
    about a gigabyte, which storing the rows with their history needs (it spilled to disk).
    """
    cursor.execute("DROP VIEW IF EXISTS raw")
    for table in ("raw_numbered", "raw_long", "raw_file"):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _renamed_columns_warning(cursor: duckdb.DuckDBPyConnection, headers: list[str]
                             ) -> list[str]:
    """A warning naming the columns renamed because their name was taken
    (:func:`_clean_headers`): the user looks for them under the file's name."""
    written = cursor.execute(f"SELECT {', '.join(f'c{i}' for i in range(len(headers)))} "
                             f"FROM raw WHERE file_row = 1").fetchone() or ()
    renamed = [header for header, name in zip(headers, written, strict=True)
               if name and name.strip() and header != name.strip()]
    if not renamed:
        return []
    return [tn("A column name appears more than once; the copy was renamed: {renamed}.",
               "Column names appear more than once; the copies were renamed: {renamed}.",
               len(renamed), renamed=", ".join(f"“{header}”" for header in renamed))]


def _lost_letters_warning(cursor: duckdb.DuckDBPyConnection, prepared: PreparedFile,
                          width: int, where: str) -> list[str]:
    """A warning when values (or column names) hold a "?" for letters the code page lacks.

    The "?" is what the tool that saved the file wrote: the letter is gone from the file,
    only the user can get it back, by saving the file as UTF-8.
    """
    columns = [f"c{i}" for i in range(width)]
    cells = " UNION ALL ".join(f"SELECT file_row, {i} AS position, {c} AS value FROM hit"
                               for i, c in enumerate(columns))
    sql = load_sql("ingest_lost_letters").format(
        data_rows=where, columns=", ".join(columns), width=width, cells=cells)
    row = cursor.execute(sql, {"pattern": LOST_LETTER_PATTERN}).fetchone()
    if not row or not row[0]:
        return []
    return [tn("{n} value ({example}) has a “?” in place of a letter that could not be saved "
               "in the {encoding} encoding: save the file as UTF-8 (“CSV UTF-8”) to keep it.",
               "{n} values (for example {example}) have a “?” in place of letters that could "
               "not be saved in the {encoding} encoding: save the file as UTF-8 (“CSV UTF-8”) "
               "to keep them.", row[0], example=f"“{row[1]}”",
               encoding=prepared.encoding_name)]


def _store_purchase_history(cursor: duckdb.DuckDBPyConnection, target: str, orders: str
                            ) -> None:
    """Store the orders (a table or an aliased subquery) as ``target`` with each order's
    place in its customer's purchase history (``sql/purchase_history.sql``), each
    customer's orders together."""
    cursor.execute(load_sql("purchase_history").format(history_table=target,
                                                       orders_table=orders))


def _add_purchase_history(cursor: duckdb.DuckDBPyConnection, dataset_id: str) -> None:
    """Add the purchase history to a dataset's stored orders (orders built from line
    items), inside the caller's transaction."""
    schema = quote_ident(dataset_schema(dataset_id))
    _store_purchase_history(cursor, f"{schema}.orders_with_history", f"{schema}.orders")
    cursor.execute(f"DROP TABLE {schema}.orders")
    cursor.execute(f"ALTER TABLE {schema}.orders_with_history RENAME TO orders")


def _extra_name(header: str, table: TableKind) -> str:
    """Stored name of a column that has no role: its header, unless that is a role name."""
    role_names = {role.name.casefold() for role in table.roles}
    reserved = ({"reason", "file_row", "row_fields", "line_amount", *PURCHASE_HISTORY_COLUMNS}
                | {f"t_{n}" for n in role_names})
    if header.casefold() in role_names | reserved:
        return f"{header} (file)"
    return header


def _rejections(cursor: duckdb.DuckDBPyConnection, plan: _Plan, headers: list[str]
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rejected rows: counts by reason, and the first rows with their original values."""
    def message(code: str) -> str:
        problem, _, role_name = code.partition(":")
        if problem == "fields":
            return tn(*_MISFIT, int(role_name), width=len(headers))
        if not role_name:
            return t(_REASONS[problem])
        role = plan.table.role(role_name)
        fmt = plan.date_formats.get(role_name)
        return t(_REASONS[problem], role=t(role.label),
                 format=date_format_label(fmt) if fmt else "", low=role.low, high=role.high,
                 today=plan.today.isoformat(), year=EARLIEST_DATE.year)

    by_reason = [
        {"reason": message(code), "rows": int(n)}
        for code, n in cursor.execute(
            "SELECT reason, count(*) AS n FROM parsed WHERE reason IS NOT NULL "
            "GROUP BY reason ORDER BY n DESC, reason"
        ).fetchall()
    ]
    raw_columns = ", ".join(f"raw.{plan.column_of[h]}" for h in headers)
    sample = cursor.execute(
        f"SELECT parsed.file_row, parsed.reason, {raw_columns} FROM parsed "
        f"JOIN raw USING (file_row) WHERE parsed.reason IS NOT NULL "
        f"ORDER BY parsed.file_row LIMIT {REJECTED_SAMPLE_ROWS}"
    ).fetchall()
    rows = [
        {"row": int(row[0]), "reason": message(row[1]),
         "values": dict(zip(headers, row[2:], strict=True))}
        for row in sample
    ]
    return by_reason, rows


def _segment_columns(cursor: duckdb.DuckDBPyConnection, target: str, columns: list[str]
                     ) -> list[str]:
    """The text columns with a few distinct values: the segment dimensions of the data."""
    segments = []
    for start in range(0, len(columns), SEGMENT_BATCH):
        batch = columns[start:start + SEGMENT_BATCH]
        stats = ", ".join(
            f"count(DISTINCT {quote_ident(c)}), count({quote_ident(c)}), "
            f"count(TRY_CAST(replace({quote_ident(c)}, ',', '.') AS DOUBLE))"
            for c in batch
        )
        row = cursor.execute(f"-- distinct, filled and numeric values of a few columns\n"
                             f"SELECT {stats} FROM {target}").fetchone()
        assert row is not None
        for n, column in enumerate(batch):
            distinct, filled, numeric = row[3 * n: 3 * n + 3]
            if 2 <= distinct <= MAX_SEGMENT_VALUES and numeric < filled:
                segments.append(column)
    return segments
