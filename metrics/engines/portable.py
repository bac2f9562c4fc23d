"""The portable subset of the metric SQL: what DuckDB SQL may use so that sqlglot's
translation to Spark SQL means the same thing, kept in one list with the reason for each.

The metric SQL files (``metrics/sql/*.sql``) are written for DuckDB and translated to Spark
SQL at run time (:mod:`metrics.engines.spark_sql`). sqlglot 30 translates some DuckDB
constructs silently into something that means another thing on Spark 4 (or passes them
through untranslated); those are refused here. A few others the product needs are rewritten
by :mod:`metrics.engines.spark_sql` (each rule tested on both engines) and so are allowed.

The check reads the token stream (not a parse tree), so it also reads a file whose
``{placeholders}`` make it unparseable on its own, and the composed query the engine runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType

# Files only DuckDB runs, so they may use all of DuckDB: the ingest's (validation, mapping
# and the report happen before anything is stored) and the export's (it writes DuckDB's
# tables as the Parquet files Spark reads).
DUCKDB_ONLY_PREFIXES = ("ingest_", "export_")


@dataclass(frozen=True)
class Unportable:
    """A construct outside the portable subset: its name, how to find it in the token text
    (code upper-case, separated by spaces; string literals and quoted names lower-case
    in quotes, so a pattern of code never matches them) and why it is out."""

    name: str
    pattern: re.Pattern[str]
    reason: str


def _rule(name: str, pattern: str, reason: str) -> Unportable:
    return Unportable(name, re.compile(pattern), reason)


# The one list. Rewritten constructs (quantile_cont/median, array_length, date_diff
# in months/quarters/years, date_part dow/isodow, + to_months) are not here: see
# metrics.engines.spark_sql.REWRITES.
UNPORTABLE: tuple[Unportable, ...] = (
    _rule("QUALIFY", r"\bQUALIFY\b",
          "sqlglot turns it into a subquery whose ORDER BY moves inside, where Spark may "
          "drop it; filter a ROW_NUMBER() column in an outer query instead"),
    _rule("ASOF JOIN", r"\bASOF\b",
          "passed to Spark untranslated, and Spark has no as-of join; join on a range "
          "with ROW_NUMBER() instead"),
    _rule("PIVOT", r"\b(?:UN)?PIVOT\b",
          "The PIVOT statement is passed to Spark untranslated; write the columns as "
          "SUM(CASE ...) or FILTER (WHERE ...) aggregates"),
    _rule("ordered list()", r"\b(?:LIST|ARRAY_AGG)\b \((?:[^()]|\([^()]*\))*\bORDER BY\b",
          "becomes an unordered collect_list on Spark; aggregate a ROW_NUMBER() column "
          "instead of relying on the list's order"),
    _rule("len()", r"\bLEN \(",
          "becomes Spark's string LENGTH, wrong on a list; write array_length() for a list "
          "and length() for text"),
    _rule("date_diff in other units", r"\bDATE_?DIFF \( '(?!(?:day|month|quarter|year)')",
          "units other than day, month, quarter and year count differently on Spark "
          "(weeks, hours); count days and divide"),
    _rule("date_part in other units",
          r"\b(?:DATE_?PART \( '(?!(?:year|quarter|month|day|dow|isodow)')"
          r"|EXTRACT \( (?!(?:YEAR|QUARTER|MONTH|DAY|DOW|ISODOW)\b))",
          "parts other than year, quarter, month, day and the day of the week are numbered "
          "differently on Spark (weeks, day of the year)"),
    _rule("quantile_disc()", r"\b(?:QUANTILE|QUANTILE_DISC|PERCENTILE_DISC|MODE) \(",
          "the discrete quantile (quantile() too) has no Spark translation that "
          "picks the same value; use quantile_cont() (rewritten to percentile())"),
)


def token_text(sql: str) -> str:
    """The tokens of ``sql`` (read as DuckDB SQL) separated by spaces: code upper-case,
    string literals and quoted names lower-case in quotes; comments are left out."""
    words = []
    for token in DuckDB().tokenize(sql):
        if token.token_type == TokenType.STRING:
            words.append("'" + token.text.lower() + "'")
        elif token.token_type == TokenType.IDENTIFIER:
            words.append('"' + token.text.lower() + '"')
        else:
            words.append(token.text.upper())
    return " ".join(words)


def unportable_constructs(sql: str) -> list[Unportable]:
    """The constructs of :data:`UNPORTABLE` that ``sql`` uses (none: it is portable)."""
    text = token_text(sql)
    return [rule for rule in UNPORTABLE if rule.pattern.search(text)]


def checked_files(sql_dir: Path) -> list[Path]:
    """The metric SQL files the portable subset applies to (all but the ingest's)."""
    return sorted(path for path in sql_dir.glob("*.sql")
                  if not path.name.startswith(DUCKDB_ONLY_PREFIXES))
