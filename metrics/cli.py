"""The ``loyaltylens`` command line: the same numbers as the dashboard, for scripts.

A thin shell over the ``metrics`` functions: every number comes from the function the
dashboard calls. Errors meant for the user print one sentence and exit with status 2.
Every command runs as the user ``--user`` or ``$LOYALTYLENS_USER`` names (none: the local
administrator, who sees everything); the store is opened for them once, in :func:`main`,
so a dataset outside their workspaces is refused wherever a command opens it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from metrics import audit
from metrics.catalogue import DB_ENV_VAR, default_db_path, listed_datasets
from metrics.engine import engine_settings
from metrics.errors import AccessDenied, InputError, LoyaltyLensError
from metrics.export import json_value, rows_to_csv, rows_to_records, to_csv, to_records
from metrics.i18n import LANGUAGE_ENV_VAR, LANGUAGES, language, language_of, t
from metrics.lazy import lazy_functions, module_value
from metrics.principal import Principal, principal_for, workspaces
from metrics.query.filters import DEFAULT_INACTIVITY_DAYS, Filters
from metrics.query.sql import PERIODS

# A script may call the CLI hundreds of times, and most commands need neither pandas nor
# SciPy nor the CLV models, and --help and ``datasets`` not even DuckDB: the functions
# that bring them in (the store itself) are imported when a command first calls them, and
# the options that name their constants are added to a command's parser when that command
# is parsed (:class:`_Parser`). tests/test_cli_start.py checks what each command imports.
if TYPE_CHECKING:
    import pandas as pd

    from metrics.access import add_user, add_workspace, remove_user, remove_workspace, set_password
    from metrics.access import users as user_list
    from metrics.annotations import add_annotation, delete_annotation, list_annotations
    from metrics.benchmarks import (
        all_benchmarks,
        benchmark_frame,
        delete_benchmarks,
        find_sector,
        read_benchmark_file,
        save_benchmarks,
        sectors,
    )
    from metrics.clv.predictive import predictive_clv
    from metrics.compare import Comparison, ViewState, compare, parse_state
    from metrics.demo import ensure_demo
    from metrics.digest import (
        build_digest,
        mark_new,
        post_webhook,
        read_rules,
        save_state,
        saved_rules,
        to_markdown,
        webhook_text,
        write_digest,
    )
    from metrics.drivers import Drivers, all_drivers, drivers, latest_period, summary
    from metrics.engines.parquet import export_parquet
    from metrics.engines.spark import open_spark_store
    from metrics.explain import Explanation, explain, json_parameters
    from metrics.kpis import kpi_rows
    from metrics.progress import ProgressLines
    from metrics.query.segments import segment_key
    from metrics.report import to_html, to_pdf
    from metrics.report.builder import check_folder, load_builder, report_pages, write_report
    from metrics.retention import cohort_table, lifecycle_table, retention_table, with_change_tests
    from metrics.rfm import rfm_table
    from metrics.satisfaction import nps_table
    from metrics.segments import segment_summary
    from metrics.staging import ingest_isolated
    from metrics.store import Store
else:
    (add_user, add_workspace, remove_user, remove_workspace, set_password,
     user_list) = lazy_functions("metrics.access", "add_user", "add_workspace", "remove_user",
                                 "remove_workspace", "set_password", "users")
    add_annotation, delete_annotation, list_annotations = lazy_functions(
        "metrics.annotations", "add_annotation", "delete_annotation", "list_annotations")
    (all_benchmarks, benchmark_frame, delete_benchmarks, find_sector, read_benchmark_file,
     save_benchmarks, sectors) = lazy_functions(
        "metrics.benchmarks", "all_benchmarks", "benchmark_frame", "delete_benchmarks",
        "find_sector", "read_benchmark_file", "save_benchmarks", "sectors")
    (predictive_clv,) = lazy_functions("metrics.clv.predictive", "predictive_clv")
    compare, parse_state = lazy_functions("metrics.compare", "compare", "parse_state")
    (ensure_demo,) = lazy_functions("metrics.demo", "ensure_demo")
    (build_digest, mark_new, post_webhook, read_rules, save_state, saved_rules, to_markdown,
     webhook_text, write_digest) = lazy_functions(
        "metrics.digest", "build_digest", "mark_new", "post_webhook", "read_rules",
        "save_state", "saved_rules", "to_markdown", "webhook_text", "write_digest")
    all_drivers, drivers, latest_period, summary = lazy_functions(
        "metrics.drivers", "all_drivers", "drivers", "latest_period", "summary")
    (export_parquet,) = lazy_functions("metrics.engines.parquet", "export_parquet")
    (open_spark_store,) = lazy_functions("metrics.engines.spark", "open_spark_store")
    explain, json_parameters = lazy_functions("metrics.explain", "explain", "json_parameters")
    (kpi_rows,) = lazy_functions("metrics.kpis", "kpi_rows")
    (ProgressLines,) = lazy_functions("metrics.progress", "ProgressLines")
    to_html, to_pdf = lazy_functions("metrics.report", "to_html", "to_pdf")
    check_folder, load_builder, report_pages, write_report = lazy_functions(
        "metrics.report.builder", "check_folder", "load_builder", "report_pages",
        "write_report")
    cohort_table, lifecycle_table, retention_table, with_change_tests = lazy_functions(
        "metrics.retention", "cohort_table", "lifecycle_table", "retention_table",
        "with_change_tests")
    (rfm_table,) = lazy_functions("metrics.rfm", "rfm_table")
    (segment_key,) = lazy_functions("metrics.query.segments", "segment_key")
    (nps_table,) = lazy_functions("metrics.satisfaction", "nps_table")
    (segment_summary,) = lazy_functions("metrics.segments", "segment_summary")
    (ingest_isolated,) = lazy_functions("metrics.staging", "ingest_isolated")
    (Store,) = lazy_functions("metrics.store", "Store")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            t("“{text}” is not a date: write it as YYYY-MM-DD.", text=text)
        ) from None


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(
            t("“{text}” is not of the form NAME=VALUE.", text=text)
        )
    return key.strip(), value.strip()


class _HelpFormatter(argparse.HelpFormatter):
    """Help texts are translated sentences with ``{named}`` placeholders, not %-templates.

    argparse expands ``%(default)s``-style fields in every help text, so a plain "95%" in a
    sentence (or in a translation of it) would crash ``--help``; it prints as written here.
    argparse's own words ("usage:") come from its English catalogue: ours are translated.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        return (action.help or "").replace("%", "%%")

    def add_usage(self, usage: str | None, actions: Any, groups: Any,
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups,
                          prefix=t("usage: ") if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """The program's parser; its subcommands are built with this class, so they share it.

    Its headings, ``--help`` and the frame of an error message are in the language of
    the command (argparse's own are English only). ``error_status`` is the status a wrong
    option exits with: a command's own (the digest's 3, which monitoring tools read as
    "could not check"), else argparse's 2.

    A subcommand's parser may be given its ``configure`` (which adds its options) to call
    when it is first used: then ``--help`` and every other command never import what one
    command's options name (the CLV models' defaults, the survival's views, ...).
    """

    def __init__(self, *args: Any,
                 configure: Callable[[argparse.ArgumentParser], None] | None = None,
                 error_status: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._configure = configure
        self.error_status = error_status
        self._positionals.title = t("positional arguments")
        self._optionals.title = t("options")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=t("show this help message and exit"))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.error_status,
                  t("{prog}: error: {message}", prog=self.prog, message=message) + "\n")

    def configured(self) -> _Parser:
        """This parser with its options added (once)."""
        configure, self._configure = self._configure, None
        if configure is not None:
            configure(self)
        return self

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        return super(_Parser, self.configured()).parse_known_args(args, namespace)

    def format_help(self) -> str:
        return super(_Parser, self.configured()).format_help()

    def format_usage(self) -> str:
        return super(_Parser, self.configured()).format_usage()


def chosen_language(argv: Sequence[str]) -> str:
    """The command's language: ``--lang``, else ``$LOYALTYLENS_LANG``, else English.

    Read before the parser is built, so that ``--help`` is in that language too. A
    ``--lang`` it does not speak is left to the parser, which names the choices.
    """
    before = argparse.ArgumentParser(add_help=False)
    before.add_argument("--lang")
    given, _ = before.parse_known_args(argv)
    if given.lang is not None:
        return language_of(given.lang) or "en"
    setting = os.environ.get(LANGUAGE_ENV_VAR)
    if setting and language_of(setting) is None:
        raise InputError(t("{var} is “{value}”, a language LoyaltyLens does not speak: set it "
                           "to en, ro or ru.", var=LANGUAGE_ENV_VAR, value=setting))
    return language_of(setting) or "en"


# A handler prints its output; it may return the exit status (None: 0).
Handler = Callable[[argparse.Namespace, Store], int | None]


USER_ENV_VAR = "LOYALTYLENS_USER"
# The digest's status for "could not check" (metrics.digest.EXIT_ERROR; written here so the
# command table does not import the digest, and pandas with it, at every start).
DIGEST_ERROR = 3


@dataclass(frozen=True)
class WithoutStore:
    """A command that does not open the database in this process, for the principal: the
    ingest opens it in a process of its own, under limits (:mod:`metrics.isolation`), and
    ``datasets`` reads the catalogue alone."""

    run: Callable[[argparse.Namespace, Principal], None]


@dataclass(frozen=True)
class Command:
    """One subcommand of the program, registered once in :data:`COMMANDS`.

    ``help`` is a function so that its text is translated when the parser is built (in the
    language of that moment), not when this module is imported. ``configure`` adds the
    command's options to its parser; ``run`` prints its output (an error meant for the user
    is a :class:`~metrics.errors.LoyaltyLensError`, which :func:`main` turns into status 2).
    """

    name: str
    help: Callable[[], str]
    configure: Callable[[argparse.ArgumentParser], None]
    run: Handler | WithoutStore
    # The status of an error meant for the user (the digest's monitoring statuses use 2).
    error_status: int = 2
    # Whether --engine spark runs it: its numbers are metric SQL (metrics.engines) alone.
    on_spark: bool = False


def spark_commands() -> list[str]:
    """The commands ``--engine spark`` runs."""
    return [name for name, command in COMMANDS.items() if command.on_spark]


def build_parser(*, lazy: bool = False) -> argparse.ArgumentParser:
    """The program's parser; ``lazy``: each command's options are added when it is parsed
    (what :func:`main` does, so a command imports only what its own options name)."""
    parser = _Parser(
        prog="loyaltylens",
        description=t("Customer-loyalty KPIs from your orders: the numbers of the dashboard."),
    )
    parser.add_argument(
        "--db", help=t("LoyaltyLens data folder (default: ${var} or data/loyaltylens.duckdb).",
                       var=DB_ENV_VAR))
    parser.add_argument(
        "--user", help=t("Run as this user: see only their workspaces' datasets (default: "
                         "${var}; without either, the local administrator, who sees "
                         "everything).", var=USER_ENV_VAR))
    parser.add_argument(
        "--engine", choices=("duckdb", "spark"), default="duckdb",
        help=t("Where the metric commands ({commands}) run: the built-in engine on the data "
               "folder "
               "(default), or Spark on --source.", commands=", ".join(spark_commands())))
    parser.add_argument(
        "--spark-remote", metavar="sc://HOST:15002",
        help=t("With --engine spark: the Spark Connect server of a cluster (default: a "
               "local Spark on this machine's cores)."))
    parser.add_argument(
        "--source", metavar="FOLDER",
        help=t("With --engine spark: the folder (or s3a://, hdfs:// ...) of a dataset's "
               "Parquet export (loyaltylens export)."))
    parser.add_argument(
        "--lang", choices=LANGUAGES,
        help=t("Language of the messages and of --help: en, ro or ru (default: ${var}, else "
               "en).", var=LANGUAGE_ENV_VAR))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        subparser = commands.add_parser(command.name, help=command.help(),
                                        configure=command.configure,
                                        error_status=command.error_status)
        if not lazy:
            subparser.configured()
    return parser


def _add_filters(command: argparse.ArgumentParser, period_flag: str = "--period",
                 formats: tuple[str, ...] = ("json", "csv")) -> None:
    """The filter options every metric command shares (the dashboard's sidebar).

    The period type is ``--period``, except where ``--period`` names one period
    (``explain``): there it is ``period_flag``. The first of ``formats`` is the default."""
    command.add_argument("--dataset", required=True, help=t("Dataset name or id."))
    command.add_argument(period_flag, dest="period", choices=PERIODS, default="month")
    command.add_argument("--start", type=_date, help=t("First day (YYYY-MM-DD)."))
    command.add_argument("--end", type=_date, help=t("Last day (YYYY-MM-DD)."))
    command.add_argument("--segment", type=_pair, action="append", default=[],
                         metavar="COLUMN=VALUE",
                         help=t("Keep only orders with this segment value (repeatable)."))
    command.add_argument("--inactivity-days", type=int, default=DEFAULT_INACTIVITY_DAYS,
                         help=t("Days without an order after which a customer has left the "
                                "base (default {days}).", days=DEFAULT_INACTIVITY_DAYS))
    command.add_argument("--format", choices=formats, default=formats[0])


def _period_day(text: str) -> date:
    """The first day of a period written as YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY."""
    value = text.strip()
    year, _, rest = value.partition("-")
    try:
        if not rest:
            return date(int(year), 1, 1)
        if rest[:1].upper() == "Q" and rest[1:] in {"1", "2", "3", "4"}:
            return date(int(year), 3 * int(rest[1:]) - 2, 1)
        if rest.count("-") == 0:
            return date(int(year), int(rest), 1)
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            t("“{text}” is not a period: write a day (YYYY-MM-DD), a month (YYYY-MM), a "
              "quarter (YYYY-Q1) or a year (YYYY).", text=text)
        ) from None


def _print_explanation(explanation: Explanation) -> None:
    """An explanation for people: definition, inputs, value, SQL with its parameters, and
    the first rows behind the number."""
    e = explanation
    lines = [
        f"{e.label} ({e.metric_id}), {e.period_start.isoformat()} – {e.period_end.isoformat()}",
        *(f"{name}: {value}" for name, value in e.detail.items()),
        e.definition,
        "",
        t("Formula: {formula}", formula=e.formula),
        *(t("  {label} ({name}) = {value}", label=e.input_labels[name], name=name,
            value=_plain_number(value)) for name, value in e.inputs.items()),
        t("Value: {value}", value=_plain_number(e.value)),
        "",
        t("SQL:"), e.sql.rstrip(),
        t("Parameters: {parameters}",
          parameters=json.dumps(json_parameters(e.parameters), ensure_ascii=False)),
        "",
        t("Rows behind it (the first {n}):", n=len(e.rows)),
        e.rows.to_string(index=False) if len(e.rows) else t("none"),
        "",
        t("SQL of the rows:"), e.rows_sql.rstrip(),
        t("Parameters: {parameters}",
          parameters=json.dumps(json_parameters(e.rows_parameters), ensure_ascii=False)),
    ]
    sys.stdout.write("\n".join(lines) + "\n")


def _plain_number(value: float | None) -> str:
    if value is None:
        return t("undefined (its denominator is zero)")
    return f"{value:g}" if value == int(value) else f"{value:.6g}"


def _filters(args: argparse.Namespace, store: Store) -> Filters:
    """The command's filters; a segment may be named as the ingest report lists its
    column (``plan`` for ``subscriptions.plan``), and so may ``--by``: ``args.by`` is
    replaced by its key, before the command passes it on."""
    dataset = store.dataset(args.dataset)
    segments: dict[str, list[str]] = {}
    for column, value in args.segment:
        segments.setdefault(segment_key(dataset, column), []).append(value)
    if getattr(args, "by", None) is not None:
        args.by = segment_key(dataset, args.by)
    return Filters(period=args.period, start=args.start, end=args.end,
                   segments=Filters.segment_items(segments),
                   inactivity_days=args.inactivity_days)


def _print_table(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":
        sys.stdout.write(to_csv(frame))
    else:
        _print_json(to_records(frame))


def _print_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str) -> None:
    """Plain rows as :func:`_print_table` prints a frame of them, without pandas."""
    if fmt == "csv":
        sys.stdout.write(rows_to_csv(columns, rows))
    else:
        _print_json(rows_to_records(columns, rows))


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _no_options(parser: argparse.ArgumentParser) -> None:
    """A command without options of its own."""


def _configure_ingest(ingest: argparse.ArgumentParser) -> None:
    earliest_date = module_value("metrics.ingest", "EARLIEST_DATE")
    ingest.add_argument("file", help=t("The CSV or .xlsx file to read."))
    ingest.add_argument("--dataset", required=True, help=t("Dataset name (created if new)."))
    ingest.add_argument("--workspace",
                        help=t("The workspace of the dataset, and of a new one (needed when "
                               "you have several)."))
    ingest.add_argument("--kind", default="orders",
                        choices=sorted(module_value("metrics.roles", "TABLE_KINDS")))
    ingest.add_argument("--map", dest="mapping", type=_pair, action="append", default=[],
                        metavar="ROLE=COLUMN",
                        help=t("Column for a role, e.g. --map customer_id=Email (repeatable)."))
    ingest.add_argument("--currency", help=t("Currency code of the amounts, e.g. EUR."))
    ingest.add_argument("--replace", action="store_true",
                        help=t("Replace the dataset's existing data of this kind."))
    ingest.add_argument("--date-format", metavar="FORMAT",
                        help=t("Format of the dates when the values cannot tell day-first from "
                               "month-first, e.g. dd/mm/yyyy or mm/dd/yyyy."))
    ingest.add_argument("--sheet", help=t("Sheet of an Excel workbook (default: the first)."))
    ingest.add_argument("--delimiter", help=t("Delimiter of a CSV file when the detected one is "
                                              "wrong: one character, or tab."))
    ingest.add_argument("--encoding", help=t("Encoding of a CSV file when the detected one is "
                                             "wrong, e.g. cp1250, cp1251, utf-8."))
    ingest.add_argument("--decimal", metavar="MARK",
                        help=t("Decimal mark of the numbers when the detected one is wrong: "
                               ", or ."))
    ingest.add_argument("--dry-run", action="store_true",
                        help=t("Validate and print the report; store nothing."))
    ingest.add_argument("--keep-future-dates", action="store_true",
                        help=t("Store rows dated after today or before {year} too (by "
                               "default they are set aside as rejected rows).",
                               year=earliest_date.year))
    ingest.add_argument("--quiet", action="store_true",
                        help=t("Print no progress (reading, checking, storing) on standard "
                               "error; the JSON report on standard output is the same."))


def _ingest(args: argparse.Namespace, principal: Principal) -> None:
    report = ingest_isolated(args.db, args.file, principal=principal,
                             workspace=args.workspace, dataset=args.dataset, kind=args.kind,
                             mapping=dict(args.mapping), currency=args.currency,
                             replace=args.replace, date_format=args.date_format,
                             sheet=args.sheet, dry_run=args.dry_run, encoding=args.encoding,
                             delimiter=args.delimiter, decimal_mark=args.decimal,
                             keep_out_of_range_dates=args.keep_future_dates,
                             progress=None if args.quiet else ProgressLines(sys.stderr))
    _print_json(report.to_dict())


def _configure_datasets(datasets: argparse.ArgumentParser) -> None:
    datasets.add_argument("--format", choices=("json", "csv"), default="json")


_DATASET_COLUMNS = ("id", "name", "workspace", "currency", "created_at", "tables", "orders",
                    "first_date", "last_date")


def _datasets(args: argparse.Namespace, principal: Principal) -> None:
    """The datasets the catalogue names: listing them starts no DuckDB, unless the store
    must be opened first (an older single-file store to migrate, or a memory limit only
    DuckDB can check, refused as every other command refuses it)."""
    root = _data_folder(args)
    if root.is_file() or not engine_settings().plain_memory_limit:
        Store(root, principal).close()
    rows = [
        (d.id, d.name, d.workspace, d.currency, d.created_at.isoformat(timespec="seconds"),
         ",".join(sorted(d.tables)),
         d.tables["orders"].rows if "orders" in d.tables else None,
         d.tables["orders"].first_date if "orders" in d.tables else None,
         d.tables["orders"].last_date if "orders" in d.tables else None)
        for d in listed_datasets(root, principal)
    ]
    _print_rows(_DATASET_COLUMNS, rows, args.format)


def _configure_delete(delete: argparse.ArgumentParser) -> None:
    delete.add_argument("--dataset", required=True)


def _delete(args: argparse.Namespace, store: Store) -> None:
    deleted = store.delete_dataset(args.dataset)
    _print_json({"deleted": {"id": deleted.id, "name": deleted.name}})


def _configure_annotate(annotate: argparse.ArgumentParser) -> None:
    annotate.add_argument("--dataset", required=True, help=t("Dataset name or id."))
    annotate.add_argument("--date", metavar="YYYY-MM-DD",
                          help=t("The day the note is about, e.g. 2025-03-01."))
    annotate.add_argument("--text", help=t("The note: one line of at most 200 characters, "
                                           "e.g. \"Price increase\"."))
    annotate.add_argument("--delete", metavar="ID",
                          help=t("Delete the note with this id (see `loyaltylens "
                                 "annotations`) instead of adding one."))


def _annotate(args: argparse.Namespace, store: Store) -> None:
    """Add a dated note to a dataset, or delete one by its id."""
    dataset = store.dataset(args.dataset)
    if args.delete is not None:
        if args.date is not None or args.text is not None:
            raise InputError(t("Give either --delete ID or --date and --text, not both."))
        _print_json({"deleted": delete_annotation(store, dataset, args.delete).to_dict()})
        return
    if args.date is None or args.text is None:
        raise InputError(t("A note needs --date and --text (or --delete ID to delete one)."))
    _print_json({"added": add_annotation(store, dataset, args.date, args.text).to_dict()})


def _configure_annotations(annotations: argparse.ArgumentParser) -> None:
    annotations.add_argument("--dataset", required=True, help=t("Dataset name or id."))
    annotations.add_argument("--format", choices=("json", "csv"), default="json")


_ANNOTATION_COLUMNS = ("id", "date", "text", "added_by", "added_at")


def _annotations(args: argparse.Namespace, store: Store) -> None:
    notes = list_annotations(store, store.dataset(args.dataset))
    _print_rows(_ANNOTATION_COLUMNS, [tuple(note.to_dict()[column]
                                            for column in _ANNOTATION_COLUMNS)
                                      for note in notes], args.format)
def _configure_export(export: argparse.ArgumentParser) -> None:
    export.add_argument("--dataset", required=True, help=t("Dataset name or id."))
    export.add_argument("--parquet", required=True, type=Path, metavar="FOLDER",
                        help=t("A new folder to write the dataset's tables to as Parquet "
                               "(the orders split by month), for --engine spark --source."))


def _export(args: argparse.Namespace, store: Store) -> None:
    _print_json(export_parquet(store, store.dataset(args.dataset), args.parquet))


def _configure_move(move: argparse.ArgumentParser) -> None:
    move.add_argument("--dataset", required=True, help=t("Dataset name or id."))
    move.add_argument("--workspace", required=True, help=t("The workspace to move it to."))


def _move(args: argparse.Namespace, store: Store) -> None:
    moved = store.move_dataset(args.dataset, args.workspace)
    _print_json({"moved": {"id": moved.id, "name": moved.name, "from": moved.workspace,
                           "to": args.workspace}})


def _administrator(store: Store) -> None:
    """Refuse a command only the local administrator (or an administrator user) runs."""
    if not store.principal.is_admin:
        raise AccessDenied(t("Only the administrator can manage users and workspaces or "
                             "read the audit log: run it without --user and {var}.",
                             var=USER_ENV_VAR))


def _read_password(args: argparse.Namespace) -> str:
    """The password given on standard input (its first line), for scripts."""
    if not args.password_stdin:
        raise InputError(t("Give the password on standard input with --password-stdin, "
                           "e.g. printf '%s' \"$PASSWORD\" | loyaltylens users add ..."))
    return sys.stdin.readline().rstrip("\r\n")


def _configure_workspaces(workspaces: argparse.ArgumentParser) -> None:
    actions = workspaces.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (("add", t("Create a workspace (a team or a brand).")),
                         ("remove", t("Remove an empty workspace."))):
        actions.add_parser(action, help=text).add_argument("name", metavar="NAME")
    listing = actions.add_parser("list", help=t("The workspaces you see, with their number "
                                                "of datasets."))
    listing.add_argument("--format", choices=("json", "csv"), default="json")


def _workspaces(args: argparse.Namespace, store: Store) -> None:
    if args.action == "list":
        counts = {w: 0 for w in workspaces(store.root)
                  if store.principal.can_see(w)}
        for dataset in store.datasets():
            counts[dataset.workspace] = counts.get(dataset.workspace, 0) + 1
        _print_rows(("name", "datasets"), list(counts.items()), args.format)
        return
    _administrator(store)
    if args.action == "add":
        add_workspace(store.root, args.name)
        _print_json({"added": args.name})
    else:
        remove_workspace(store.root, args.name)
        _print_json({"removed": args.name})


def _configure_users(users: argparse.ArgumentParser) -> None:
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help=t("Add a user who signs in with a password."))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--workspace", action="append", default=[], dest="workspaces",
                     help=t("A workspace whose datasets the user sees (repeatable)."))
    add.add_argument("--admin", action="store_true",
                     help=t("The user sees and manages every workspace."))
    passwd = actions.add_parser("passwd", help=t("Give a user a new password."))
    passwd.add_argument("name", metavar="NAME")
    for command in (add, passwd):
        command.add_argument("--password-stdin", action="store_true",
                             help=t("Read the password from the first line of standard "
                                    "input."))
    actions.add_parser("remove", help=t("Remove a user.")).add_argument("name", metavar="NAME")
    listing = actions.add_parser("list", help=t("The users and their workspaces (never a "
                                                "password)."))
    listing.add_argument("--format", choices=("json", "csv"), default="json")


def _users(args: argparse.Namespace, store: Store) -> None:
    _administrator(store)
    if args.action == "list":
        users = user_list(store.root)
        if args.format == "json":
            _print_json(users)
        else:  # one row a user: the workspaces in one cell
            _print_rows(("name", "workspaces", "admin"),
                        [(u["name"], ",".join(u["workspaces"]), u["admin"]) for u in users],
                        "csv")
    elif args.action == "add":
        add_user(store.root, args.name, args.workspaces, _read_password(args),
                 admin=args.admin)
        _print_json({"added": args.name, "workspaces": sorted(set(args.workspaces))})
    elif args.action == "passwd":
        set_password(store.root, args.name, _read_password(args))
        _print_json({"password_changed": args.name})
    else:
        remove_user(store.root, args.name)
        _print_json({"removed": args.name})


def _configure_audit(audit_log: argparse.ArgumentParser) -> None:
    audit_log.add_argument("--since", type=_date, help=t("Only events from this day on "
                                                         "(YYYY-MM-DD, UTC)."))
    # not the global --user (who runs the command): whose events to show
    audit_log.add_argument("--user", dest="audit_user", metavar="NAME",
                           help=t("Only the events of this user."))
    audit_log.add_argument("--format", choices=("json", "table"), default="json")


def _audit(args: argparse.Namespace, store: Store) -> None:
    _administrator(store)
    found = audit.events(store.root, since=args.since, user=args.audit_user)
    if args.format == "json":
        _print_json(found)
        return
    import pandas as pd

    table = pd.DataFrame(found, columns=list(audit.EVENT_FIELDS)).fillna("")
    table["user"] = table["user"].replace("", t("(administrator)"))
    sys.stdout.write((table.to_string(index=False) if len(table) else t("none")) + "\n")


def _demo(args: argparse.Namespace, store: Store) -> None:
    demo = ensure_demo(store)
    _print_json({"id": demo.id, "name": demo.name, "orders": demo.tables["orders"].rows})


def _configure_benchmarks(benchmarks: argparse.ArgumentParser) -> None:
    benchmarks.add_argument("--industry", metavar="SECTOR",
                            help=t("Only this industry, e.g. Retail or E-commerce."))
    benchmarks.add_argument("--metric", choices=module_value("metrics.benchmarks", "METRIC_IDS"),
                            help=t("Only this metric."))
    benchmarks.add_argument("--format", choices=("json", "csv"), default="json")
    set_actions = benchmarks.add_mutually_exclusive_group()
    set_actions.add_argument("--upload", metavar="FILE",
                             help=t("Check a benchmark file (the columns of "
                                    "data/benchmarks.csv) and save it as the set --name."))
    set_actions.add_argument("--delete", metavar="NAME", help=t("Delete your saved set NAME."))
    benchmarks.add_argument("--name", help=t("Name to save the --upload set under; it is "
                                             "picked like an industry."))


def _benchmarks(args: argparse.Namespace, store: Store) -> None:
    """The benchmarks command: save or delete a set of the user's, or print figures."""
    if args.upload:
        if not args.name:
            raise InputError(t("--upload needs --name: the name the set is saved and picked "
                               "under."))
        rows = read_benchmark_file(args.upload, args.name)
        save_benchmarks(store, args.name, rows)
        _print_json({"saved": rows[0].set_name, "rows": len(rows)})
        return
    if args.delete:
        delete_benchmarks(store, args.delete)
        _print_json({"deleted": args.delete})
        return
    figures = all_benchmarks(store)
    if args.industry:
        sector = find_sector(figures, args.industry)
        if sector is None:
            raise InputError(t("There is no industry “{name}”; the industries are: {names}.",
                               name=args.industry, names=", ".join(sectors(figures))))
        figures = [b for b in figures if b.sector == sector]
    if args.metric:
        figures = [b for b in figures if b.metric_id == args.metric]
    _print_table(benchmark_frame(figures), args.format)


def _kpis(args: argparse.Namespace, store: Store) -> None:
    # plain rows, not a frame: the command starts without pandas (bench/bench_cli.py)
    columns, rows = kpi_rows(store, store.dataset(args.dataset), _filters(args, store))
    _print_rows([PERIOD_COLUMN.get(c, c) for c in columns], rows, args.format)


def _configure_explain(explain: argparse.ArgumentParser) -> None:
    horizon_months = module_value("metrics.clv.lifetime_value", "DEFAULT_HORIZON_MONTHS")
    discount_rate = module_value("metrics.clv.lifetime_value", "DEFAULT_ANNUAL_DISCOUNT_RATE")
    explain.add_argument("--metric", required=True,
                         help=t("The metric, e.g. retention_rate, aov, new_customers, "
                                "net_revenue_retention, dormant_customers, nps, csat, "
                                "clv_simple, clv_historic, cac."))
    _add_filters(explain, period_flag="--period-type", formats=("text", "json"))
    explain.add_argument("--period", dest="period_day", type=_period_day, metavar="PERIOD",
                         help=t("The period to explain (for a cohort cell: the cohort's): a "
                                "day in it (YYYY-MM-DD), a month (YYYY-MM), a quarter "
                                "(YYYY-Q1) or a year (YYYY). Not needed for a figure over "
                                "the whole date range."))
    explain.add_argument("--offset", type=int, metavar="K",
                         help=t("For a cohort cell: the periods since the cohort's "
                                "acquisition (0 = its first period); for the survival: the "
                                "customers' age in days."))
    explain.add_argument("--group", metavar="NAME",
                         help=t("For a figure per group: the group, e.g. an RFM segment "
                                "(Champions), a segment value (channel=web), a score (9), "
                                "an NPS group and window (promoter/6), a loyalty type, "
                                "one-time or repeat customers of the survival, a channel "
                                "(cac) or a customer (clv_predicted)."))
    # the options of the CLV page's numbers (what the page's settings are); each left out
    # takes its metric function's default
    explain.add_argument("--by", metavar="SEGMENT",
                         help=t("For a figure split by a segment (clv_simple, "
                                "clv_historic, the cohort cells and averages, survival): "
                                "the segment; --group names its value."))
    explain.add_argument("--base", choices=("subscriptions",),
                         help=t("For the rates and counts of the Retention page's rates "
                                "table on the subscriptions' base (retention --base "
                                "subscriptions): explained from the subscribers."))
    explain.add_argument("--view", choices=module_value("metrics.survival", "SURVIVAL_VIEWS"),
                         help=t("For the survival: the customers its curve follows, as the "
                                "Retention page's survival view (default all; "
                                "repeat_from_second: repeat customers from their second "
                                "purchase)."))
    explain.add_argument("--gross-margin", type=float,
                         help=t("The gross margin of clv_simple and clv_cac, 0 to 1."))
    explain.add_argument("--calibration-end", type=_date,
                         help=t("Last day the models learn from (clv_predicted ...: default "
                                "the data's last day; clv_holdout_actual, "
                                "clv_holdout_predicted: default 26 weeks before it)."))
    explain.add_argument("--horizon-months", type=int,
                         help=t("Months of future purchases (default {n}).",
                                n=horizon_months))
    explain.add_argument("--discount-rate", type=float,
                         help=t("Yearly discount rate as a fraction (default {rate}).",
                                rate=discount_rate))


def _explain(args: argparse.Namespace, store: Store) -> None:
    filters = _filters(args, store)  # names --by by its segment key
    options = {"by": args.by, "view": args.view, "base": args.base,
               "gross_margin": args.gross_margin,
               "calibration_end": args.calibration_end, "horizon_months": args.horizon_months,
               "annual_discount_rate": args.discount_rate}
    explanation = explain(store, store.dataset(args.dataset), args.metric, filters,
                          args.period_day, offset=args.offset, group=args.group,
                          options={k: v for k, v in options.items() if v is not None})
    if args.format == "json":
        _print_json(explanation.to_dict())
    else:
        _print_explanation(explanation)


def _configure_drivers(command: argparse.ArgumentParser) -> None:
    command.add_argument("--metric", required=True,
                         choices=module_value("metrics.drivers", "DRIVER_METRICS"),
                         help=t("The rate KPI whose change is split."))
    _add_filters(command, period_flag="--period-type")
    command.add_argument("--period", dest="period_day", type=_period_day, metavar="PERIOD",
                         help=t("The period explained: a day in it (YYYY-MM-DD), a month "
                                "(YYYY-MM), a quarter (YYYY-Q1) or a year (YYYY); default "
                                "the latest complete one."))
    command.add_argument("--against", type=_period_day, metavar="PERIOD",
                         help=t("The period compared against, written like --period "
                                "(default: the one before it)."))
    command.add_argument("--by", metavar="SEGMENT", required=True,
                         help=t("The segment whose values the change is split by, or "
                                "{all} for every segment column (the one explaining the "
                                "most first).",
                                all=module_value("metrics.drivers", "ALL_SEGMENTS")))


def _drivers_data(found: Drivers, currency: str | None) -> dict[str, Any]:
    """One split as JSON-ready data: the total change and one record per value."""
    return {"metric": found.metric_id, "segment": found.segment,
            "period_before": found.period_before.isoformat(),
            "period_after": found.period_after.isoformat(),
            "rate_before": json_value(found.rate_before),
            "rate_after": json_value(found.rate_after),
            "change": json_value(found.change), "mix_effect": json_value(found.mix_effect),
            "summary": summary(found, currency),
            "records": to_records(found.records)}


def _drivers(args: argparse.Namespace, store: Store) -> None:
    dataset = store.dataset(args.dataset)
    filters = _filters(args, store)  # names --by by its segment key
    by, every = args.by, module_value("metrics.drivers", "ALL_SEGMENTS")
    day = args.period_day or latest_period(dataset, filters, args.metric)
    found = (all_drivers(store, dataset, filters, args.metric, day, args.against)
             if by == every
             else [drivers(store, dataset, filters, args.metric, by, day, args.against)])
    if args.format == "csv":
        import pandas as pd

        _print_table(pd.concat([f.records for f in found], ignore_index=True) if found
                     else pd.DataFrame(columns=list(module_value("metrics.drivers",
                                                                 "DRIVER_COLUMNS"))), "csv")
    elif by == every:
        _print_json({"metric": args.metric,
                     "explains_most": found[0].segment if found else None,
                     "segments": [_drivers_data(f, dataset.currency) for f in found]})
    else:
        _print_json(_drivers_data(found[0], dataset.currency))


def _configure_compare(command: argparse.ArgumentParser) -> None:
    _add_filters(command)
    for flag, name in (("--a", "A"), ("--b", "B")):
        command.add_argument(flag, action="append", required=True, metavar="KEY=VALUE",
                             help=t("View {name}: the filters above changed by KEY=VALUE "
                                    "(repeatable), KEY a segment column, dataset, from or to "
                                    "(YYYY-MM-DD); the value is everything after the first "
                                    "=.", name=name))


def _state_data(specs: Sequence[str], state: ViewState, period: date) -> dict[str, Any]:
    """A compared view as JSON-ready data: its specs as given and the state they make."""
    filters = state.filters
    return {"given": list(specs), "dataset": state.dataset.name,
            "start": json_value(filters.start), "end": json_value(filters.end),
            "segments": {column: list(values) for column, values in filters.segments},
            "inactivity_days": filters.inactivity_days, "period": period.isoformat()}


def _compare(args: argparse.Namespace, store: Store) -> None:
    dataset, filters = store.dataset(args.dataset), _filters(args, store)
    a = parse_state(store, dataset, filters, args.a)
    b = parse_state(store, dataset, filters, args.b)
    found: Comparison = compare(store, a, b)
    if args.format == "csv":
        _print_table(found.records, "csv")
        return
    _print_json({"period_type": filters.period,
                 "a": _state_data(args.a, a, found.period_a),
                 "b": _state_data(args.b, b, found.period_b),
                 "records": to_records(found.records)})


def _configure_retention(retention: argparse.ArgumentParser) -> None:
    _add_filters(retention)
    retention.add_argument("--base", choices=module_value("metrics.retention", "BASES"),
                           help=t("What keeps a customer in the base: orders within the "
                                  "inactivity window, or a running subscription (default: "
                                  "subscriptions when the dataset has them)."))


def _retention(args: argparse.Namespace, store: Store) -> None:
    _print_periods(with_change_tests(retention_table(
        store, store.dataset(args.dataset), _filters(args, store), base=args.base)), args)


def _configure_cohorts(cohorts: argparse.ArgumentParser) -> None:
    _add_filters(cohorts)
    cohorts.add_argument("--metric", choices=module_value("metrics.retention", "COHORT_METRICS"),
                         default="customers",
                         help=t("Customer retention or revenue retention."))
    cohorts.add_argument("--unbounded", action="store_true",
                         help=t("Count customers active in the period or any later one."))
    cohorts.add_argument("--by", metavar="SEGMENT",
                         help=t("Split each cohort by a segment column (its value on the "
                                "customer's first order)."))


def _cohorts(args: argparse.Namespace, store: Store) -> None:
    table = cohort_table(store, store.dataset(args.dataset), _filters(args, store),
                         metric=args.metric, unbounded=args.unbounded, by=args.by)
    _print_table(_named_group(table, args.by), args.format)


def _lifecycle(args: argparse.Namespace, store: Store) -> None:
    _print_periods(lifecycle_table(store, store.dataset(args.dataset), _filters(args, store)),
                   args)


def _rfm(args: argparse.Namespace, store: Store) -> None:
    _print_table(rfm_table(store, store.dataset(args.dataset), _filters(args, store)),
                 args.format)


def _configure_segments(segments: argparse.ArgumentParser) -> None:
    _add_filters(segments)
    segments.add_argument("--by", metavar="SEGMENT", required=True,
                          help=t("The segment to compare: a segment column, or rfm for the "
                                 "RFM segments."))
    segments.add_argument("--gross-margin", type=float,
                          help=t("Gross margin as a fraction for the CLV, e.g. 0.35 (default: "
                                 "revenue CLV)."))


def _segments(args: argparse.Namespace, store: Store) -> None:
    table = segment_summary(store, store.dataset(args.dataset), _filters(args, store),
                            by=args.by, gross_margin=args.gross_margin)
    _print_table(table.rename(columns={"value": args.by}), args.format)


def _configure_nps(nps: argparse.ArgumentParser) -> None:
    _add_filters(nps)
    nps.add_argument("--by", metavar="SEGMENT",
                     help=t("Split by a segment column of the responses (e.g. Touchpoint) or "
                            "of their customers' orders or customer data."))


# The columns of nps_table only the Satisfaction page's chart reads (where a period ends,
# whether the responses cover it, whether it has enough of them); the command prints the
# others, in nps_table's order, so a column added there reaches the command too.
_NPS_CHART_ONLY = ("period_end", "complete", "too_few")


def _nps(args: argparse.Namespace, store: Store) -> None:
    table = nps_table(store, store.dataset(args.dataset), _filters(args, store), by=args.by)
    _print_periods(_named_group(table.drop(columns=list(_NPS_CHART_ONLY)), args.by), args)


def _configure_clv(clv: argparse.ArgumentParser) -> None:
    horizon_months = module_value("metrics.clv.lifetime_value", "DEFAULT_HORIZON_MONTHS")
    discount_rate = module_value("metrics.clv.lifetime_value", "DEFAULT_ANNUAL_DISCOUNT_RATE")

    _add_filters(clv)
    clv.add_argument("--calibration-end", type=_date,
                     help=t("Last day the models learn from (default: the data's last day)."))
    clv.add_argument("--horizon-months", type=int, default=horizon_months,
                     help=t("Months of future purchases in the CLV (default {n}).",
                            n=horizon_months))
    clv.add_argument("--discount-rate", type=float, default=discount_rate,
                     help=t("Yearly discount rate as a fraction (default {rate}).",
                            rate=discount_rate))
    clv.add_argument("--customers", action="store_true",
                     help=t("Include the per-customer table (JSON), or print it (CSV)."))
    clv.add_argument("--by", metavar="SEGMENT",
                     help=t("Label each customer with a segment (its first order's value)."))


def _clv(args: argparse.Namespace, store: Store) -> None:
    result = predictive_clv(store, store.dataset(args.dataset), _filters(args, store),
                            calibration_end=args.calibration_end,
                            horizon_months=args.horizon_months,
                            annual_discount_rate=args.discount_rate, by=args.by)
    customers = _named_group(result.customers, args.by)
    if args.format == "csv":
        if args.customers:
            _print_table(customers, "csv")
        else:
            import pandas as pd

            _print_table(pd.DataFrame(
                [(model, name, value) for model, values in result.parameters().items()
                 for name, value in values.items()],
                columns=["model", "parameter", "value"]), "csv")
        return
    _print_json({
        "calibration_end": result.calibration_end.isoformat(),
        "horizon_months": result.horizon_months,
        "discount_rate": result.annual_discount_rate,
        **{model: {k: json_value(v) for k, v in values.items()}
           for model, values in result.parameters().items()},
        "customer_count": len(customers),
        "total_clv": json_value(float(customers["clv"].sum())),
        **({"customers": to_records(customers)} if args.customers else {}),
    })


def _configure_report(report: argparse.ArgumentParser) -> None:
    pages = ",".join(module_value("metrics.report.builder", "REPORT_PAGES"))
    base_url_var = module_value("metrics.report.builder", "BASE_URL_ENV_VAR")
    _add_filters(report, formats=("pdf", "html"))
    report.add_argument("--pages", default=pages,
                        help=t("The pages in the report, separated by commas (default all: "
                               "{pages}).", pages=pages))
    report.add_argument("--at", type=_period_day, metavar="PERIOD",
                        help=t("The period of the Overview's cards: a day in it (YYYY-MM-DD), "
                               "a month (YYYY-MM), a quarter (YYYY-Q1) or a year (YYYY) "
                               "(default: the latest complete period)."))
    report.add_argument("--industry", metavar="SECTOR",
                        help=t("Compare with this industry's benchmarks, as the sidebar's "
                               "\"Compare with industry\"."))
    report.add_argument("--base-url", default=os.environ.get(base_url_var),
                        help=t("The dashboard's address, for the link on the cover that "
                               "reopens the view (default: ${var}; without it, no link).",
                               var=base_url_var))
    report.add_argument("--out", required=True, metavar="FILE",
                        help=t("The file to write the report to."))


def _report(args: argparse.Namespace, store: Store) -> None:
    """The report of a view as a PDF or HTML file; the file is written once it is whole."""
    pages = report_pages(args.pages)
    check_folder(Path(args.out))
    industry = None
    if args.industry:
        figures = all_benchmarks(store)
        industry = find_sector(figures, args.industry)
        if industry is None:
            raise InputError(t("There is no industry “{name}”; the industries are: {names}.",
                               name=args.industry, names=", ".join(sectors(figures))))
    report = load_builder()(store, store.dataset(args.dataset), _filters(args, store),
                            pages=pages, industry=industry, at=args.at,
                            base_url=args.base_url)
    html = to_html(report)
    write_report(Path(args.out), to_pdf(html) if args.format == "pdf" else html.encode())
    _print_json({"out": args.out, "format": args.format, "pages": list(pages)})


def _configure_digest(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, help=t("Dataset name or id."))
    parser.add_argument("--as-of", type=_date, required=True, metavar="DATE",
                        help=t("The day of the digest (YYYY-MM-DD): the latest period "
                               "complete by then is reported."))
    parser.add_argument("--period", choices=PERIODS, default="month")
    parser.add_argument("--inactivity-days", type=int, default=DEFAULT_INACTIVITY_DAYS,
                        help=t("Days without an order after which a customer has left the "
                               "base (default {days}).", days=DEFAULT_INACTIVITY_DAYS))
    parser.add_argument("--rules", type=Path, metavar="FILE",
                        help=t("Alert rules in TOML (default: the rules saved for the dataset "
                               "on the Alerts page, else the default rules)."))
    parser.add_argument("--industry", metavar="SECTOR",
                        help=t("Compare with this industry's benchmarks."))
    parser.add_argument("--targets", metavar="SET",
                        help=t("Compare with your targets: a benchmark set saved with "
                               "`loyaltylens benchmarks --upload FILE --name SET`."))
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help=t("The folder for digest.md, digest.html, digest.json and the "
                               "state file (default: the current folder)."))
    parser.add_argument("--webhook-env", metavar="NAME",
                        help=t("The environment variable holding the incoming webhook's "
                               "address; new alerts are posted there."))


def _compared_sectors(store: Store, args: argparse.Namespace) -> tuple[str, ...]:
    """The sectors ``--industry`` and ``--targets`` name, as the benchmarks spell them."""
    named = [name for name in (args.industry, args.targets) if name]
    if not named:
        return ()
    figures = all_benchmarks(store)
    found = []
    for name in named:
        sector = find_sector(figures, name)
        if sector is None:
            raise InputError(t("There is no industry or saved benchmark set “{name}”; there "
                               "are: {names}.", name=name, names=", ".join(sectors(figures))))
        found.append(sector)
    return tuple(found)


def _digest(args: argparse.Namespace, store: Store) -> int:
    """Write the digest; post its new alerts; exit 0, 1 (a warning) or 2 (a critical
    rule fired); the state file remembers what was posted."""
    url = None
    if args.webhook_env:
        url = os.environ.get(args.webhook_env, "").strip()
        if not url:
            raise InputError(t("The environment variable {name} holds no webhook address: "
                               "set it, or leave out --webhook-env.", name=args.webhook_env))
    dataset = store.dataset(args.dataset)
    rules = read_rules(args.rules) if args.rules else saved_rules(store, dataset)
    state = args.out / module_value("metrics.digest", "STATE_FILE")
    result = mark_new(build_digest(store, dataset, args.as_of, rules, period=args.period,
                                   inactivity_days=args.inactivity_days,
                                   sectors=_compared_sectors(store, args)),
                      dataset, state)
    write_digest(result, args.out)
    if url and any(alert.new for alert in result.alerts):
        post_webhook(url, webhook_text(result))
    save_state(result, dataset, state)  # only once posted: a failed post is retried
    sys.stdout.write(to_markdown(result))
    return result.exit_status


# A table per period is printed with its first day as ``period``.
PERIOD_COLUMN = {"period_start": "period"}


def _print_periods(table: pd.DataFrame, args: argparse.Namespace) -> None:
    """A table per period, its first day printed as ``period``."""
    _print_table(table.rename(columns=PERIOD_COLUMN), args.format)


def _named_group(table: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """A table split by ``--by``: its ``group_value`` column named after the segment, or
    left out when the command was not split (and has one)."""
    if by is None:
        return table.drop(columns=["group_value"], errors="ignore")
    return table.rename(columns={"group_value": by})


# Every command, in the order ``--help`` lists them: adding a command is a handler (and
# its options) and one entry here; build_parser and main read nothing else.
COMMANDS: dict[str, Command] = {command.name: command for command in (
    Command("ingest", lambda: t("Validate a file and store it in a dataset."),
            _configure_ingest, WithoutStore(_ingest)),
    Command("datasets", lambda: t("List the stored datasets."), _configure_datasets,
            WithoutStore(_datasets)),
    Command("delete", lambda: t("Delete a dataset and all its data."),
            _configure_delete, _delete),
    Command("annotate", lambda: t("Add a dated note to a dataset (\"Price increase\"), "
                                  "drawn on its trend charts, reports and digests; or "
                                  "delete one."),
            _configure_annotate, _annotate),
    Command("annotations", lambda: t("List a dataset's notes by date, with their ids."),
            _configure_annotations, _annotations),
    Command("export", lambda: t("Write a dataset's tables as Parquet files, for the Spark "
                                "engine (--engine spark --source FOLDER)."),
            _configure_export, _export),
    Command("move", lambda: t("Move a dataset to another workspace (administrator); its "
                              "links keep working."),
            _configure_move, _move),
    Command("workspaces", lambda: t("Add, list or remove workspaces (a team or a brand)."),
            _configure_workspaces, _workspaces),
    Command("users", lambda: t("Add, list or remove users, or change a password "
                               "(administrator)."),
            _configure_users, _users),
    Command("audit", lambda: t("Who signed in, stored, deleted or moved what, and when "
                               "(administrator)."),
            _configure_audit, _audit),
    Command("demo", lambda: t("Store the demo dataset if it is not there yet."),
            _no_options, _demo),
    Command("benchmarks", lambda: t("Industry benchmark figures with their source and year "
                                    "(shipped and your saved sets); save or delete a set of "
                                    "your own."),
            _configure_benchmarks, _benchmarks),
    Command("kpis", lambda: t("KPIs per period (the Overview page)."), _add_filters, _kpis,
            on_spark=True),
    Command("explain", lambda: t("How one number of one period is computed: its definition, "
                                 "its inputs with their values, the SQL with its parameters "
                                 "and the rows behind it (a card's \"How is this computed?\")."),
            _configure_explain, _explain),
    Command("drivers", lambda: t("Why did it move? A rate KPI's change between two periods "
                                 "split by the values of a segment into mix and rate "
                                 "effects that add up to the change."),
            _configure_drivers, _drivers),
    Command("compare", lambda: t("Compare two views (two segments, date ranges or datasets): "
                                 "each KPI of the Overview in both, the difference B − A "
                                 "and whether it is significant."),
            _configure_compare, _compare),
    Command("retention", lambda: t("Retention and churn per period with S, N, E (the "
                                   "Retention page)."),
            _configure_retention, _retention, on_spark=True),
    Command("cohorts", lambda: t("Cohort retention table (the Retention page's heatmap)."),
            _configure_cohorts, _cohorts, on_spark=True),
    Command("lifecycle", lambda: t("New, returning, resurrected and dormant customers per "
                                   "period."),
            _add_filters, _lifecycle, on_spark=True),
    Command("rfm", lambda: t("Each customer's recency, frequency and monetary value, their R, "
                             "F, M scores (1-5) and RFM segment (the Segments page)."),
            _add_filters, _rfm, on_spark=True),
    Command("segments", lambda: t("Customers, revenue, retention, AOV, repeat purchase rate "
                                  "and simple CLV for each value of a segment (the Segments "
                                  "page)."),
            _configure_segments, _segments, on_spark=True),
    Command("nps", lambda: t("Net Promoter Score per period from the survey responses, with "
                             "its 95% margin of error (the Satisfaction page)."),
            _configure_nps, _nps, on_spark=True),
    Command("report", lambda: t("A report of a view, as the dashboard's \"Download report\": "
                                "each page's KPI cards, charts and key tables and the "
                                "definitions, as a PDF or a self-contained HTML file."),
            _configure_report, _report),
    Command("digest", lambda: t("The latest complete period's KPIs against the previous "
                                "period and benchmarks, with alert rules (for cron): "
                                "writes digest.md, .html and .json, posts new alerts to a "
                                "webhook, exits 0 (none fired), 1 (a warning), 2 (a critical "
                                "rule) or 3 (an error)."),
            _configure_digest, _digest, error_status=DIGEST_ERROR),
    Command("clv", lambda: t("Predictive CLV: BG/NBD and Gamma-Gamma parameters and, with "
                             "--customers, each customer's P(alive), expected purchases and "
                             "CLV."),
            _configure_clv, _clv, on_spark=True),
)}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        lang = chosen_language(arguments)
    except InputError as error:
        print(t("error: {message}", message=error.message), file=sys.stderr)
        return 2
    token = language.set(lang)
    try:
        return _run(arguments)
    finally:
        language.reset(token)  # main() called in a process that goes on (tests, scripts)


def _run(arguments: Sequence[str]) -> int:
    parser = build_parser(lazy=True)
    args = parser.parse_args(arguments)
    registered = COMMANDS[args.command]
    status: int | None = None
    try:
        principal = _principal(args)
        command = registered.run
        _check_engine(args)
        if isinstance(command, WithoutStore):
            command.run(args, principal)
        else:  # the one place a command's store, and so every dataset it opens, is made
            with _open_store(args, principal) as store:
                status = command(args, store)
    except LoyaltyLensError as error:
        print(t("error: {message}", message=error.message), file=sys.stderr)
        return registered.error_status
    except BrokenPipeError:  # e.g. `loyaltylens kpis ... | head`
        return 0
    return status or 0


def _open_store(args: argparse.Namespace, principal: Principal) -> Store:
    """The command's store: the data folder on DuckDB, or the --source on Spark."""
    if args.engine == "duckdb":
        return Store(args.db, principal)
    return open_spark_store(args.source, args.spark_remote)


def _check_engine(args: argparse.Namespace) -> None:
    """Refuse --engine spark for a command Spark does not run, or without --source."""
    if args.engine == "duckdb":
        return
    if not COMMANDS[args.command].on_spark:
        raise InputError(t("`{command}` runs on the built-in engine only: leave out --engine "
                           "spark (Spark runs {commands}).", command=args.command,
                           commands=", ".join(spark_commands())))
    if not args.source:
        raise InputError(t("--engine spark needs --source: the folder of a dataset's Parquet "
                           "export (write it with `loyaltylens export`)."))


def _principal(args: argparse.Namespace) -> Principal:
    """Who runs the command: ``--user``, else ``$LOYALTYLENS_USER``, else the local
    administrator (the file permissions of the data folder are the CLI's boundary)."""
    name = args.user or os.environ.get(USER_ENV_VAR) or None
    return principal_for(_data_folder(args), name)


def _data_folder(args: argparse.Namespace) -> Path:
    """The data folder: ``--db``, else ``$LOYALTYLENS_DB``, else the default."""
    return Path(args.db) if args.db else default_db_path()


if __name__ == "__main__":
    raise SystemExit(main())


