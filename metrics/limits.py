"""The size limits of a file the ingest reads: columns, line length and rows, each refused
in one sentence before the heavy work (reading, validating, storing) starts."""

from __future__ import annotations

from metrics.errors import InputError
from metrics.i18n import format_number, t

# The canonical tables have at most a dozen roles; the rest are segment dimensions, and
# nobody filters by hundreds of them. Every per-column step of the ingest is linear in the
# columns, but DuckDB plans one expression per column: a few thousand make its queries
# deep and large, so wider files are refused.
MAX_COLUMNS = 200
# A line of 200 columns at a generous 2,500 characters each; a longer one is no export.
MAX_LINE_BYTES = 512 * 1024
# Ten times the largest shop of the benchmarks (2 million orders).
MAX_ROWS = 20_000_000


def check_columns(columns: int, name: str) -> None:
    """Refuse a file with more than :data:`MAX_COLUMNS` columns.

    Raises
    ------
    InputError
        Saying how many columns the file has, the limit, and what to do.
    """
    if columns > MAX_COLUMNS:
        raise InputError(t("{name} has {n} columns; LoyaltyLens reads files of up to {limit} "
                           "columns. Export only the columns you need (the ids, dates, "
                           "amounts and a few segments) and upload that file.", name=name,
                           n=format_number(columns), limit=format_number(MAX_COLUMNS)))


def check_line_length(longest: int, name: str) -> None:
    """Refuse a file with a line longer than :data:`MAX_LINE_BYTES`.

    Raises
    ------
    InputError
        Saying the limit and what to do.
    """
    if longest > MAX_LINE_BYTES:
        raise InputError(line_too_long(name))


def line_too_long(name: str) -> str:
    """The sentence for a file with a line longer than :data:`MAX_LINE_BYTES`."""
    return t("{name} has a line longer than LoyaltyLens reads (over {limit} KB): it is "
             "probably not a CSV export. Export the data again as CSV or .xlsx.", name=name,
             limit=format_number(MAX_LINE_BYTES // 1024))


def check_rows(rows: int, name: str) -> None:
    """Refuse a file with more than :data:`MAX_ROWS` rows.

    Raises
    ------
    InputError
        Saying how many rows the file has, the limit, and what to do.
    """
    if rows > MAX_ROWS:
        raise InputError(t("{name} has {n} rows; LoyaltyLens reads files of up to {limit} "
                           "rows. Export a shorter period (for example the last years) and "
                           "upload that file.", name=name, n=format_number(rows),
                           limit=format_number(MAX_ROWS)))


def upload_too_large(name: str, size_bytes: int, limit_bytes: int) -> str:
    """The sentence for a file over the Data page's upload limit (Streamlit's
    ``server.maxUploadSize``): the limit, how to raise it, and the CLI, which has none."""
    return t("{name} is {size} MB; the Data page takes files up to {limit} MB: raise the "
             "limit with server.maxUploadSize (in MB) in .streamlit/config.toml or "
             "--server.maxUploadSize when starting the app, or store it with `loyaltylens "
             "ingest FILE --dataset NAME`, which takes files of any size.", name=name,
             size=format_number(size_bytes / 2**20), limit=format_number(limit_bytes / 2**20))


def upload_limit_help(limit_bytes: int) -> str:
    """What the Data page's uploader says of its limit (the browser refuses a larger file
    before the server sees it): the limit, how to raise it, and the CLI."""
    return t("The browser refuses files over {limit} MB before they are sent. To take "
             "larger ones, raise server.maxUploadSize (in MB) in .streamlit/config.toml or "
             "start the app with --server.maxUploadSize, or store them with `loyaltylens "
             "ingest FILE --dataset NAME`, which takes files of any size.",
             limit=format_number(limit_bytes / 2**20))
