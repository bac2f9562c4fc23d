"""Ingest: read a user's file, map its columns to roles, validate every row, store it.

The file is read by DuckDB as text, every value is parsed in SQL (so millions of rows
stay fast), rows that cannot be used are set aside with a reason, and the rest is stored
in one transaction: a failed upload stores nothing and leaves existing datasets alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from metrics.errors import InputError
from metrics.i18n import t
from metrics.roles import TableKind, suggest_mapping, table_kind, validate_mapping
from metrics.sqlutil import quote_ident
from metrics.store import Store

# Date formats tried on the values of a date column (DuckDB strptime codes); the one that
# reads the most values wins, earlier ones win ties.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y%m%d",
    "%d.%m.%y",
)
DATE_FORMAT_LABELS = {
    "%Y-%m-%d": "yyyy-mm-dd",
    "%d.%m.%Y": "dd.mm.yyyy",
    "%d/%m/%Y": "dd/mm/yyyy",
    "%m/%d/%Y": "mm/dd/yyyy",
    "%Y/%m/%d": "yyyy/mm/dd",
    "%d-%m-%Y": "dd-mm-yyyy",
    "%Y%m%d": "yyyymmdd",
    "%d.%m.%y": "dd.mm.yy",
}
# A text column with at most this many distinct values is offered as a segment filter.
MAX_SEGMENT_VALUES = 50
REJECTED_SAMPLE_ROWS = 1000
PREVIEW_ROWS = 20

_REASONS = {
    "missing_customer": "The customer id is empty.",
    "missing_date": "The date is empty.",
    "bad_date": "The date is not a date in the {format} format.",
    "missing_amount": "The amount is empty.",
    "bad_amount": "The amount is not a number.",
}


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
    """What an ingest did: detected format, mapping, rows stored and rows rejected."""

    dataset_id: str
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (dates as ISO strings)."""
        data = asdict(self)
        for key in ("first_date", "last_date"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


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


def _load_raw(cursor: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Read the file as text into the temporary table ``raw``; return the header names.

    ``raw`` has ``file_row`` (1 = the header row, as a spreadsheet numbers rows) and one
    VARCHAR column per file column, named ``c0, c1, ...``.
    """
    if not path.exists():
        raise InputError(t("The file {path} does not exist.", path=str(path)))
    if path.stat().st_size == 0:
        raise InputError(t("The file {name} is empty: export it again with its rows.",
                           name=path.name))
    try:
        cursor.execute(
            "-- the file as text, one numbered row per line of the file\n"
            "CREATE OR REPLACE TEMP TABLE raw_file AS "
            "SELECT row_number() OVER () AS file_row, * FROM read_csv($path, header = false, "
            "all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
            "null_padding = true, skip = 0)",
            {"path": str(path)},
        )
    except duckdb.Error as error:
        raise InputError(
            t("{name} could not be read as a comma-separated file with a header row ({detail}). "
              "Export it as CSV (UTF-8, comma-separated) and upload it again.",
              name=path.name, detail=str(error).splitlines()[0])
        ) from error
    columns = [row[0] for row in cursor.execute("DESCRIBE raw_file").fetchall()][1:]
    renamed = ", ".join(f"{quote_ident(c)} AS c{i}" for i, c in enumerate(columns))
    cursor.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT file_row, {renamed} FROM raw_file")
    cursor.execute("DROP TABLE raw_file")
    header_row = cursor.execute("SELECT * EXCLUDE (file_row) FROM raw WHERE file_row = 1")
    return _clean_headers(header_row.fetchone() or [])


def _data_rows_filter(width: int) -> str:
    """SQL condition for the data rows: after the header, not entirely blank."""
    not_blank = " OR ".join(f"NULLIF(trim(c{i}), '') IS NOT NULL" for i in range(width))
    return f"file_row > 1 AND ({not_blank})"


def _detect_date_format(cursor: duckdb.DuckDBPyConnection, column: str, where: str) -> str:
    """The date format (of :data:`DATE_FORMATS`) that reads the most values of ``column``."""
    counts = ", ".join(
        f"count(try_strptime({_date_token(column)}, '{fmt}')) AS f{n}"
        for n, fmt in enumerate(DATE_FORMATS)
    )
    row = cursor.execute(
        f"-- how many sampled values each date format reads\n"
        f"SELECT {counts} FROM (SELECT {column} FROM raw WHERE {where} LIMIT 5000)"
    ).fetchone()
    assert row is not None
    best = max(range(len(DATE_FORMATS)), key=lambda n: (row[n], -n))
    return DATE_FORMATS[best]


def _date_token(column: str) -> str:
    """SQL for the date part of a date or timestamp text (before a space or a 'T')."""
    return f"regexp_extract(trim({column}), '^[^ T]+')"


def inspect_file(path: Path | str, kind: str = "orders", source: str | None = None,
                 ) -> FileInspection:
    """Read a file without storing it: headers, a preview and the suggested mapping."""
    path = Path(path)
    table = table_kind(kind)
    with duckdb.connect() as cursor:
        headers = _load_raw(cursor, path)
        where = _data_rows_filter(len(headers))
        rows = cursor.execute(f"SELECT count(*) FROM raw WHERE {where}").fetchone()
        preview = cursor.execute(
            f"SELECT * EXCLUDE (file_row) FROM raw WHERE {where} ORDER BY file_row "
            f"LIMIT {PREVIEW_ROWS}"
        ).df()
    preview.columns = headers
    return FileInspection(
        source=source or path.name,
        headers=headers,
        preview=preview,
        rows=int(rows[0]) if rows else 0,
        suggested_mapping=suggest_mapping(table, headers),
        detected={"encoding": "UTF-8", "delimiter": ","},
    )


# -- validating and storing ------------------------------------------------------------


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
) -> IngestReport:
    """Validate a file and store its usable rows as the ``kind`` table of a dataset.

    Parameters
    ----------
    store
        The database to store into.
    path
        The file (CSV, UTF-8, comma-separated, header row).
    dataset
        Name of the dataset; created when no dataset has this name.
    kind
        The canonical table the file fills (``orders``).
    mapping
        ``{role: column header}``; roles left out are suggested from the headers.
    currency
        ISO code of the amounts' currency (for display), for a new dataset.
    source
        The file name to show in reports (defaults to the path's name).
    replace
        Replace the dataset's existing table of this kind instead of refusing.

    Raises
    ------
    InputError
        The file cannot be read, a required role has no column, or no row is usable.
        Nothing is stored then.
    """
    path = Path(path)
    table = table_kind(kind)
    name = dataset.strip()
    if not name:
        raise InputError(t("Give the dataset a name, for example “Shop orders 2025”."))
    existing = store.find_dataset(name)
    if existing and kind in existing.tables and not replace:
        raise InputError(
            t("The dataset “{name}” already has {kind} data: choose another dataset name, or "
              "replace its data.", name=existing.name, kind=table.label.lower())
        )

    with store.transaction() as cursor:
        headers = _load_raw(cursor, path)
        chosen = suggest_mapping(table, headers) | dict(mapping or {})
        chosen = {role: column for role, column in chosen.items() if column}
        validate_mapping(table, chosen, headers)
        column_of = {header: f"c{i}" for i, header in enumerate(headers)}
        where = _data_rows_filter(len(headers))
        date_format = _detect_date_format(cursor, column_of[chosen[table.date_role]], where)

        _parse_rows(cursor, table, chosen, headers, column_of, date_format, where)
        counts = cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM parsed"
        ).fetchone()
        assert counts is not None
        rows_read, rows_stored = int(counts[0]), int(counts[1])
        rejected_by_reason, rejected_rows = _rejections(cursor, headers, column_of, date_format)
        if rows_read == 0:
            raise InputError(t("{name} has a header row but no data rows.", name=path.name))
        if rows_stored == 0:
            raise InputError(
                t("None of the {n} rows could be used: {reason} Check that the right columns "
                  "are chosen for each role.",
                  n=f"{rows_read:,}", reason=rejected_by_reason[0]["reason"])
            )

        dataset_id = existing.id if existing else store.register_dataset(cursor, name, currency)
        schema = quote_ident(f"ds_{dataset_id}")
        extras = [h for h in headers if h not in chosen.values()]
        stored_columns = [role.name for role in table.roles if role.name in chosen]
        stored_columns += [_extra_name(h, table) for h in extras]
        cursor.execute(f"DROP TABLE IF EXISTS {schema}.{quote_ident(kind)}")
        cursor.execute(
            f"-- the usable rows, sorted by customer and date for fast scans\n"
            f"CREATE TABLE {schema}.{quote_ident(kind)} AS "
            f"SELECT {', '.join(quote_ident(c) for c in stored_columns)} FROM parsed "
            f"WHERE reason IS NULL ORDER BY customer_id, {quote_ident(table.date_role)}"
        )
        segments = _segment_columns(cursor, [_extra_name(h, table) for h in extras])
        first, last = cursor.execute(
            f"SELECT min({quote_ident(table.date_role)}), max({quote_ident(table.date_role)}) "
            f"FROM parsed WHERE reason IS NULL"
        ).fetchone() or (None, None)
        detected = {
            "encoding": "UTF-8",
            "delimiter": ",",
            "decimal_mark": ".",
            "date_format": DATE_FORMAT_LABELS[date_format],
        }
        store.register_table(cursor, dataset_id, kind, {
            "source": source or path.name,
            "rows": rows_stored,
            "mapping": chosen,
            "segment_columns": segments,
            "first_date": first,
            "last_date": last,
        })
    return IngestReport(
        dataset_id=dataset_id,
        dataset_name=existing.name if existing else name,
        kind=kind,
        source=source or path.name,
        rows_read=rows_read,
        rows_stored=rows_stored,
        rows_rejected=rows_read - rows_stored,
        mapping=chosen,
        detected=detected,
        segment_columns=segments,
        first_date=first,
        last_date=last,
        rejected_by_reason=rejected_by_reason,
        rejected_rows=rejected_rows,
    )


def _extra_name(header: str, table: TableKind) -> str:
    """Stored name of a column that has no role: its header, unless that is a role name."""
    role_names = {role.name.casefold() for role in table.roles}
    reserved = {"reason", "file_row"}
    if header.casefold() in role_names | reserved:
        return f"{header} (file)"
    return header


def _parse_rows(
    cursor: duckdb.DuckDBPyConnection,
    table: TableKind,
    mapping: dict[str, str],
    headers: list[str],
    column_of: dict[str, str],
    date_format: str,
    where: str,
) -> None:
    """Create the temporary table ``parsed``: typed role columns, extras, and a reason."""
    selects: list[str] = ["file_row"]
    checks: list[str] = []
    for role in table.roles:
        if role.name not in mapping:
            continue
        raw = column_of[mapping[role.name]]
        text = f"NULLIF(trim({raw}), '')"
        if role.type == "date":
            value = f"CAST(try_strptime({_date_token(raw)}, '{date_format}') AS DATE)"
        elif role.type == "amount":
            value = f"TRY_CAST({text} AS DECIMAL(18, 4))"
        else:
            value = text
        selects.append(f"{value} AS {quote_ident(role.name)}")
        if role.required:
            short = {"id": "customer", "date": "date", "amount": "amount"}[role.type]
            checks.append(f"WHEN {text} IS NULL THEN 'missing_{short}'")
            if role.type in ("date", "amount"):
                checks.append(f"WHEN {value} IS NULL THEN 'bad_{short}'")
    for header in headers:
        if header not in mapping.values():
            stored_name = quote_ident(_extra_name(header, table))
            selects.append(f"NULLIF(trim({column_of[header]}), '') AS {stored_name}")
    reason = f"CASE {' '.join(checks)} END AS reason"
    cursor.execute(
        f"-- every data row, parsed, with the reason it cannot be used (NULL when it can)\n"
        f"CREATE OR REPLACE TEMP TABLE parsed AS "
        f"SELECT {', '.join(selects)}, {reason} FROM raw WHERE {where}"
    )


def _rejections(
    cursor: duckdb.DuckDBPyConnection,
    headers: list[str],
    column_of: dict[str, str],
    date_format: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rejected rows: counts by reason, and the first rows with their original values."""
    def message(code: str) -> str:
        return t(_REASONS[code], format=DATE_FORMAT_LABELS[date_format])

    by_reason = [
        {"reason": message(code), "rows": int(n)}
        for code, n in cursor.execute(
            "SELECT reason, count(*) AS n FROM parsed WHERE reason IS NOT NULL "
            "GROUP BY reason ORDER BY n DESC, reason"
        ).fetchall()
    ]
    raw_columns = ", ".join(f"raw.{column_of[h]}" for h in headers)
    sample = cursor.execute(
        f"SELECT parsed.file_row, parsed.reason, {raw_columns} FROM parsed "
        f"JOIN raw USING (file_row) WHERE parsed.reason IS NOT NULL "
        f"ORDER BY parsed.file_row LIMIT {REJECTED_SAMPLE_ROWS}"
    ).fetchall()
    rows = [
        {"row": int(row[0]), "reason": message(row[1]), "values": dict(zip(headers, row[2:],
                                                                           strict=True))}
        for row in sample
    ]
    return by_reason, rows


def _segment_columns(cursor: duckdb.DuckDBPyConnection, columns: list[str]) -> list[str]:
    """The text columns with a few distinct values: the segment dimensions of the data."""
    if not columns:
        return []
    stats = ", ".join(
        f"count(DISTINCT {quote_ident(c)}), count({quote_ident(c)}), "
        f"count(TRY_CAST(replace({quote_ident(c)}, ',', '.') AS DOUBLE))"
        for c in columns
    )
    row = cursor.execute(f"SELECT {stats} FROM parsed WHERE reason IS NULL").fetchone()
    assert row is not None
    segments = []
    for n, column in enumerate(columns):
        distinct, filled, numeric = row[3 * n: 3 * n + 3]
        if 2 <= distinct <= MAX_SEGMENT_VALUES and numeric < filled:
            segments.append(column)
    return segments
