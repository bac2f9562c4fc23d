"""Data: upload an export, check how it was read, store it in a dataset; list and delete."""

from __future__ import annotations

import dataclasses
import functools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.filters import select_dataset
from dashboard.formatting import format_day, format_value
from dashboard.progress_bar import CANCELLED, HEARTBEAT_SECONDS, ProgressBar
from dashboard.run_slots import RUN_SLOTS
from dashboard.safe import plain, show_error, show_warning
from dashboard.uploads import UPLOAD_FILE, forget_upload, session_upload, staging_folder
from dashboard.widgets import data_table
from metrics.benchmarks import (
    METRIC_IDS,
    REQUIRED_COLUMNS,
    benchmark_frame,
    delete_benchmarks,
    read_benchmark_file,
    save_benchmarks,
    saved_benchmarks,
    template_csv,
)
from metrics.errors import AccessDenied, LoyaltyLensError
from metrics.export import to_csv
from metrics.i18n import N_, format_number, t, tn
from metrics.ingest import (
    CURRENCY_GIVEN,
    EARLIEST_DATE,
    CustomerMatch,
    IngestReport,
    inspect_file,
    matches_of_file_customers,
    write_file_customers,
)
from metrics.isolation import run_isolated
from metrics.limits import upload_limit_help, upload_too_large
from metrics.parsing import DATE_CELLS, DATE_FORMATS, NUMBER_CELLS, AmbiguousDates
from metrics.progress import Step
from metrics.readers import DELIMITERS, ENCODING_NAMES, excel_sheets, is_workbook
from metrics.roles import TABLE_KINDS, column_label
from metrics.staging import Staged, discard_staged, stage_isolated, store_staged_isolated
from metrics.store import Dataset, Store

CURRENCIES = ("EUR", "RON", "RUB", "USD", "GBP", "PLN", "MDL", "UAH", "KZT", "CHF")
NO_COLUMN = ""
NEW_DATASET = ""
UPLOADS_STORED = "_uploads_stored"
DRY_RUN = "_dry_run"
SURVEY_MATCHES = "_survey_matches"
# The benchmark upload, and what the isolated reading of the session's upload found (the
# upload itself: dashboard.uploads.UPLOAD_FILE).
BENCHMARK_FILE = "_benchmark_file"
BENCHMARK_ROWS = "_benchmark_rows"
SHEETS = "_sheets"
INSPECTION = "_inspection"
FILE_CUSTOMERS = "_file_customers"
KIND_HELP = {
    "orders": N_("One row per order (or per order line, with an order id): customer id, order "
                 "date and amount. Negative amounts are refunds."),
    "customers": N_("One row per customer: customer id, and any of sign-up date, segment, "
                    "country, acquisition channel, loyalty tier."),
    "subscriptions": N_("One row per subscription: customer id, start date, and an end date "
                        "when it ended."),
    "responses": N_("One row per survey answer: the date and an NPS (0-10), CSAT (1-5) or CLI "
                    "(1-6) score, optionally the customer id and a comment."),
    "spend": N_("One row per spend entry: the date and the amount, optionally the channel."),
}
# Why the file suggests its currency (IngestReport.currency_source), under the currency
# box of a new dataset.
SUGGESTION_HELP = {
    "column": N_("Read from the file's currency column."),
    "amounts": N_("Read from the signs written beside the amounts."),
    "amount_header": N_("Written in the name of the amount column."),
    "encoding": N_("The amounts carry no currency sign: guessed from the file's encoding, "
                   "{encoding}. Change it if it is wrong."),
    "headers": N_("The amounts carry no currency sign: guessed from the language of the column "
                  "names. Change it if it is wrong."),
}


def _dataset_table(datasets: list[Dataset], by_workspace: bool) -> pd.DataFrame:
    rows = []
    for dataset in datasets:
        orders = dataset.tables.get("orders")
        rows.append({
            t("Name"): dataset.name,
            **({t("Workspace"): dataset.workspace} if by_workspace else {}),
            t("Data"): ", ".join(t(TABLE_KINDS[k].label) for k in TABLE_KINDS
                                 if k in dataset.tables),
            t("Orders"): format_value(orders.rows, "orders", None) if orders else "–",
            t("First order"): format_day(orders.first_date) if orders and orders.first_date
            else "–",
            t("Last order"): format_day(orders.last_date) if orders and orders.last_date
            else "–",
            t("Segments"): ", ".join(column_label("orders", c) for c in orders.segment_columns)
            if orders else "",
            t("Currency"): dataset.currency or "–",
        })
    return pd.DataFrame(rows)


def _mark_names() -> dict[str, str]:
    """Delimiters and decimal marks by the names users read."""
    return {",": t("comma"), ";": t("semicolon"), "\t": t("tab"), "|": t("vertical bar"),
            ".": t("point")}


def _details(report: IngestReport) -> str:
    found = report.detected
    names = _mark_names()
    if "delimiter" in found:
        details = [t("Encoding: {value}", value=found["encoding"]),
                   t("Delimiter: {value}",
                     value=names.get(found["delimiter"], found["delimiter"]))]
    else:  # a workbook: no encoding or delimiter of its own
        details = [t("File: {value}", value=found["encoding"])]
    mark = found.get("decimal_mark")
    if mark == NUMBER_CELLS:
        details.append(t("Amounts: number cells"))
    elif mark:
        details.append(t("Decimal mark: {value}", value=names.get(mark, mark)))
    date_format = found.get("date_format")
    if date_format == DATE_CELLS:
        details.append(t("Dates: date cells"))
    elif date_format:
        details.append(t("Date format: {value}", value=date_format))
    currency = report.currency_reason()
    if currency:
        details.append(currency)
    if report.first_date and report.last_date:
        details.append(t("Dates from {first} to {last}", first=format_day(report.first_date),
                         last=format_day(report.last_date)))
    return " · ".join(details)


def _show_report(report: IngestReport) -> None:
    """The validation report: what was detected, stored (or will be), set aside, and why."""
    kind = t(TABLE_KINDS[report.kind].label).lower()
    if report.dry_run:
        headline = t("Ready to store {stored} of {read} rows of {kind} in “{name}”; {rejected} "
                     "rows will be set aside.", stored=format_number(report.rows_stored),
                     read=format_number(report.rows_read), kind=kind, name=report.dataset_name,
                     rejected=format_number(report.rows_rejected))
        st.info(plain(headline), icon=":material/fact_check:")
    else:
        headline = t("Stored {stored} of {read} rows of {kind} in “{name}”; {rejected} rows "
                     "were set aside.", stored=format_number(report.rows_stored),
                     read=format_number(report.rows_read), kind=kind, name=report.dataset_name,
                     rejected=format_number(report.rows_rejected))
        st.success(plain(headline), icon=":material/check_circle:")
    st.caption(plain(_details(report)))
    if report.orders is not None:
        st.caption(plain(t("{rows} rows became {orders} orders.",
                           rows=format_number(report.rows_stored),
                           orders=format_number(report.orders))))
    if report.refunds:
        st.caption(plain(tn("{n} refund (a negative amount) is kept as a refund: it lowers "
                            "revenue and is not counted as an order.",
                            "{n} refunds (negative amounts) are kept as refunds: they lower "
                            "revenue and are not counted as orders.", report.refunds)))
    for warning in report.warnings:
        show_warning(warning)
    if report.rejected_by_reason:
        st.write(t("Rows set aside and why:"))
        data_table(pd.DataFrame(report.rejected_by_reason).rename(
            columns={"reason": t("Reason"), "rows": t("Rows")}), hide_index=True)
        rejected = pd.DataFrame([{t("Row in file"): r["row"], t("Reason"): r["reason"],
                                  **r["values"]} for r in report.rejected_rows])
        st.download_button(t("Download the rows set aside (CSV)"), to_csv(rejected),
                           "rows-set-aside.csv", mime="text/csv", icon=":material/download:",
                           key=f"rejected_{report.dry_run}")


T = TypeVar("T")


def _isolated(state_key: str, inputs: tuple[Any, ...], task: Callable[..., T], name: str,
              bar: Step | None = None) -> T:
    """``task`` run in a process of its own (:func:`metrics.isolation.run_isolated`), once
    for the same ``inputs``: its result or its error is kept for the session's reruns.
    With ``bar`` (its first step), a progress bar shows the steps the task reports (it
    takes the keyword ``progress``)."""
    cached = st.session_state.get(state_key)
    if cached is None or cached[0] != inputs:
        RUN_SLOTS.step_aside()  # seconds of waiting for the process: others take turns
        try:
            if bar is None:
                result = run_isolated(task, name)
            else:
                with ProgressBar(bar, state_key) as progress:
                    result = run_isolated(task, name, progress=progress,
                                          every=HEARTBEAT_SECONDS)
            cached = (inputs, result, None)
        except LoyaltyLensError as error:
            cached = (inputs, None, error)
        st.session_state[state_key] = cached
    if cached[2] is not None:
        raise cached[2]
    return cast(T, cached[1])


def _reading_options(file_id: str, workbook: bool) -> dict[str, str | None]:
    """The "Reading options" expander: the encoding, delimiter, decimal mark and date
    format to read the file with, each "Detect" (None) unless the user chooses one."""
    detect = t("Detect")
    names = _mark_names()
    # no caption inside: each choice explains itself, and the report's captions keep
    # their places
    with st.expander(t("Reading options")):
        columns = st.columns(4)
        encoding = columns[0].selectbox(
            t("Encoding"), [None, *(e for e in ENCODING_NAMES if e != "xlsx")],
            format_func=lambda e: t(ENCODING_NAMES[e]) if e else detect,
            disabled=workbook, help=t("When the preview shows wrong letters. CSV files only: "
                                      "a workbook has no encoding."),
            key=f"read_encoding_{file_id}")
        delimiter = columns[1].selectbox(
            t("Delimiter"), [None, *DELIMITERS], format_func=lambda d: names[d] if d else detect,
            disabled=workbook, help=t("When the preview shows the columns run together. CSV "
                                      "files only: a workbook has no delimiter."),
            key=f"read_delimiter_{file_id}")
        decimal_mark = columns[2].selectbox(
            t("Decimal mark"), [None, ",", "."], format_func=lambda m: names[m] if m else detect,
            help=t("When the amounts were read wrongly, for example 12.500 as twelve thousand."),
            key=f"read_decimal_{file_id}")
        date_format = columns[3].selectbox(
            t("Date format"), [None, *DATE_FORMATS.values()],
            format_func=lambda f: f if f else detect,
            help=t("The format of the main date column (the order date of orders)."),
            key=f"read_date_format_{file_id}")
    if workbook:
        encoding = delimiter = None
    return {"encoding": encoding, "delimiter": delimiter, "decimal_mark": decimal_mark,
            "date_format": date_format}


def _choose_currency(preview: IngestReport, file_id: str) -> str | None:
    """The currency box of a new dataset: the file's suggestion, or empty, never a guess."""
    suggested = preview.currency
    options = list(CURRENCIES) + ([suggested] if suggested and suggested not in CURRENCIES
                                  else [])
    if suggested and preview.currency_source in SUGGESTION_HELP:
        hint = t(SUGGESTION_HELP[preview.currency_source],
                 encoding=preview.detected["encoding"])
    else:
        hint = t("Nothing in the file tells the currency: choose it, or leave it empty and "
                 "the amounts are shown without a currency sign.")
    return st.selectbox(
        t("Currency of the amounts"), options,
        index=options.index(suggested) if suggested else None,
        placeholder=t("Not detected: choose one"), help=hint,
        # a new suggestion (another amount column) starts the box afresh
        key=f"currency_{file_id}_{suggested or ''}")


def _survey_matches(path: Path, customer_column: str, source: str, sheet: str | None,
                    datasets: list[Dataset], reading: dict[str, str | None]
                    ) -> list[CustomerMatch]:
    """How many answers match the customers of each dataset (read once per file, in a
    process of its own; compared with the datasets here)."""
    if not customer_column:
        return []
    inputs = (path, customer_column, sheet, reading["encoding"], reading["delimiter"])
    customers = _isolated(FILE_CUSTOMERS, inputs, functools.partial(
        write_file_customers, path, customer_column, path.parent / "customers.parquet",
        source, sheet, encoding=reading["encoding"], delimiter=reading["delimiter"]), source)
    key = (inputs, tuple(d.id for d in datasets))
    cached = st.session_state.get(SURVEY_MATCHES)
    if cached is None or cached[0] != key:
        cached = (key, matches_of_file_customers(services.get_store(), customers))
        st.session_state[SURVEY_MATCHES] = cached
    return cast(list[CustomerMatch], cached[1])


def _survey_match_note(matches: dict[str, CustomerMatch], target: str | None) -> None:
    """Under "Store in": how many answers are customers of the chosen dataset."""
    if not matches:
        st.caption(t("No customer id of the file is a customer of a dataset: choose the "
                     "dataset the answers belong to."))
    elif target in matches:
        match = matches[target]
        st.caption(plain(tn("{matched} of {n} answer matches customers of {dataset}",
                            "{matched} of {n} answers match customers of {dataset}",
                            match.rows, matched=format_number(match.matched), dataset=target)))
    elif target:
        best = next(iter(matches.values()))
        st.caption(plain(t("No answer matches customers of {dataset}; {matched} match "
                           "customers of {best}.", dataset=target,
                           matched=format_number(best.matched), best=best.dataset_name)))


def _upload_limit_bytes() -> int:
    """The largest upload the server takes: Streamlit's ``server.maxUploadSize`` (MB), as
    configured (.streamlit/config.toml, ``--server.maxUploadSize``); the browser refuses a
    larger file before the server sees it."""
    return int(st.get_option("server.maxUploadSize")) * 2**20


def _drop_cancelled_upload() -> None:
    """After Cancel: the upload, and whatever was read or staged of it, is gone (the work
    itself was stopped in its process before this run began), and the uploader is empty.
    A click that came once the upload was stored has nothing to cancel: the page shows the
    stored report instead."""
    if UPLOAD_FILE not in st.session_state:
        return
    cached = st.session_state.pop(DRY_RUN, None)
    if cached and cached[1] is not None:
        discard_staged(cached[1])
    for key in (INSPECTION, SHEETS, FILE_CUSTOMERS):
        st.session_state.pop(key, None)
    forget_upload(UPLOAD_FILE)
    st.session_state[UPLOADS_STORED] = st.session_state.get(UPLOADS_STORED, 0) + 1
    st.info(t("The upload was cancelled: nothing of it was stored."),
            icon=":material/cancel:")


def _upload(datasets: list[Dataset]) -> None:
    st.subheader(t("Upload data"))
    if st.session_state.pop(CANCELLED, False):
        _drop_cancelled_upload()
    kinds = list(TABLE_KINDS)
    kind = st.selectbox(t("What does the file hold?"), kinds, key="upload_kind",
                        format_func=lambda k: t(TABLE_KINDS[k].label))
    st.caption(t(KIND_HELP[kind]))
    limit_bytes = _upload_limit_bytes()
    upload = st.file_uploader(
        t("File (CSV or Excel .xlsx, also in a .zip or .gz, up to {limit} MB)",
          limit=format_number(limit_bytes / 2**20)),
        type=["csv", "txt", "tsv", "xlsx", "zip", "gz"], help=upload_limit_help(limit_bytes),
        key=f"upload_file_{st.session_state.get(UPLOADS_STORED, 0)}")
    if upload is not None and upload.size > limit_bytes:
        show_error(LoyaltyLensError(upload_too_large(upload.name, upload.size, limit_bytes)))
        upload = None
    path = session_upload(UPLOAD_FILE, upload)
    if upload is None or path is None:
        return
    sheet = None
    workbook = is_workbook(path)
    reading = _reading_options(upload.file_id, workbook)
    # reading the file runs in a process of its own: a file that crashes or hangs it
    # costs the user a sentence, not the server
    try:
        if workbook:
            sheets = _isolated(SHEETS, (path,), functools.partial(
                excel_sheets, path, upload.name), upload.name)
            sheet = st.selectbox(t("Sheet"), sheets, key=f"sheet_{upload.file_id}")
        inspection = _isolated(
            INSPECTION, (path, kind, sheet, reading["encoding"], reading["delimiter"]),
            functools.partial(inspect_file, path, kind, source=upload.name, sheet=sheet,
                              encoding=reading["encoding"], delimiter=reading["delimiter"]),
            upload.name, bar=Step("reading"))
    except LoyaltyLensError as error:
        show_error(error)
        return
    st.write(t("Preview of the first rows ({rows} data rows in the file):",
               rows=format_number(inspection.rows)))
    data_table(inspection.preview, hide_index=True, height=220)

    table = TABLE_KINDS[kind]
    st.write(t("Which column holds what? Suggested from the header names: change any that "
               "is wrong."))
    mapping: dict[str, str] = {}
    options = [NO_COLUMN, *inspection.headers]
    columns = st.columns(4)
    for number, role in enumerate(table.roles):
        suggested = inspection.suggested_mapping.get(role.name, NO_COLUMN)
        label = t(role.label) + ("" if role.required else " " + t("(optional)"))
        mapping[role.name] = columns[number % 4].selectbox(
            label, options, index=options.index(suggested),
            format_func=lambda c: c or t("— none —"),
            key=f"map_{kind}_{role.name}_{upload.file_id}")

    workspace = _choose_workspace(upload.file_id)
    if workspace is None:
        show_error(AccessDenied(t("You have no workspace to store data into: ask your "
                                  "administrator to add you to one.")))
        return
    datasets = [d for d in datasets if d.workspace == workspace]
    names = [d.name for d in datasets]
    default: int | None = 0 if kind == "orders" or not names else 1
    matches: dict[str, CustomerMatch] = {}
    if kind == "responses" and names:
        try:
            found = _survey_matches(path, mapping["customer_id"], upload.name, sheet, datasets,
                                    reading)
        except LoyaltyLensError as error:
            show_error(error)
            return
        matches = {match.dataset_name: match for match in found if match.matched}
        # the answers' own shop; with none, the user has to say (not the newest)
        default = 1 + names.index(found[0].dataset_name) if matches else None
    target = st.selectbox(t("Store in"), [NEW_DATASET, *names],
                          key=f"target_{upload.file_id}_{mapping.get('customer_id', '')}",
                          format_func=lambda n: n or t("a new dataset"), index=default,
                          placeholder=t("Choose a dataset"))
    if kind == "responses" and names:
        _survey_match_note(matches, target)
    if target is None:
        return
    if target == NEW_DATASET:
        name = st.text_input(t("Name of the new dataset"), value=Path(upload.name).stem[:60],
                             key=f"name_{upload.file_id}")
    else:
        name = target
    has_kind = any(d.name == target and kind in d.tables for d in datasets)
    replace = has_kind and st.checkbox(
        t("“{name}” already has {kind}: replace them with this file", name=target,
          kind=t(table.label).lower()), key=f"replace_{upload.file_id}")

    options_key = f"dates_{upload.file_id}"
    keep_dates_key = f"keep_dates_{upload.file_id}"
    # The dry run takes the currency the file suggests; the user's choice comes after it,
    # as does keeping rows dated out of range (offered once the dry run found some).
    arguments = {"dataset": name, "workspace": workspace, "kind": kind,
                 "source": upload.name, "replace": replace, "sheet": sheet,
                 "keep_out_of_range_dates": st.session_state.get(keep_dates_key, False),
                 "mapping": {k: v for k, v in mapping.items() if v},
                 "encoding": reading["encoding"], "delimiter": reading["delimiter"],
                 "decimal_mark": reading["decimal_mark"],
                 # the date format chosen in the reading options, else the answer to an
                 # ambiguous one
                 "date_format": reading["date_format"] or st.session_state.get(options_key)}
    store = services.get_store()
    try:
        staged = _check(store, path, arguments, datasets)
    except AmbiguousDates as ambiguous:
        show_warning(ambiguous.message)
        st.radio(t("Date format"), ambiguous.options, key=options_key, horizontal=True,
                 index=None)
        return
    except LoyaltyLensError as error:
        show_error(error)
        return
    preview = staged.report
    currency = preview.currency
    # an existing dataset keeps its currency; a file without amounts needs none
    if target == NEW_DATASET and preview.has_amounts:
        currency = _choose_currency(preview, upload.file_id)
    if currency != preview.currency:
        preview = dataclasses.replace(preview, currency=currency,
                                      currency_source=CURRENCY_GIVEN if currency else None)
    _show_report(preview)
    if preview.rows_out_of_range or st.session_state.get(keep_dates_key):
        st.checkbox(
            t("Keep rows dated after today or before {year}", year=EARLIEST_DATE.year),
            key=keep_dates_key,
            help=t("Such dates are nearly always a typing error or a misread date format, "
                   "so their rows are set aside. Tick this to store them anyway."))
    if st.button(t("Store"), type="primary", icon=":material/save:"):
        try:
            # None keeps the file's suggestion, with the reason it was suggested
            chosen = currency if preview.currency_source == CURRENCY_GIVEN else None
            with ProgressBar(Step("storing", total=preview.rows_stored), "store") as bar:
                report = store_staged_isolated(store, staged, currency=chosen, progress=bar,
                                               every=HEARTBEAT_SECONDS)
        except LoyaltyLensError as error:
            show_error(error)
            # the dataset changed meanwhile: the next run checks the file again
            st.session_state.pop(DRY_RUN, None)
            discard_staged(staged)
            return
        st.session_state["last_report"] = report
        st.session_state.pop(DRY_RUN, None)
        forget_upload(UPLOAD_FILE)  # stored: its file and staged tables are no longer needed
        if report.dataset_id:
            select_dataset(report.dataset_id)
        st.session_state[UPLOADS_STORED] = st.session_state.get(UPLOADS_STORED, 0) + 1
        st.rerun()


def _choose_workspace(file_id: str) -> str | None:
    """The workspace the upload goes into: the user's only one, else the one they pick
    (None: they have none)."""
    choices = services.own_workspaces()
    if len(choices) <= 1:
        return choices[0] if choices else None
    chosen: str = st.selectbox(t("Workspace"), choices, key=f"workspace_{file_id}",
                               help=t("Who sees the dataset: the people of this workspace."))
    return chosen


def _check(store: Store, path: Path, arguments: dict[str, Any], datasets: list[Dataset]
           ) -> Staged:
    """The dry run: the file read, validated and staged for storing in a process of its
    own (:func:`metrics.staging.stage_isolated`), once per set of inputs (its error too);
    a new one replaces the previous one's staged tables."""
    check_key = repr((str(path), sorted(arguments.items(), key=str), len(datasets)))
    cached = st.session_state.get(DRY_RUN)
    if cached and cached[0] == check_key:
        if cached[2] is not None:
            raise cached[2]
        return cast(Staged, cached[1])
    if cached and cached[1] is not None:
        discard_staged(cached[1])
    folder = staging_folder(path)
    options = {key: value for key, value in arguments.items() if key != "dataset"}
    try:
        with ProgressBar(Step("reading"), "check") as bar:
            staged = stage_isolated(store, path, folder, dataset=arguments["dataset"],
                                    max_bytes=_upload_limit_bytes(), progress=bar,
                                    every=HEARTBEAT_SECONDS, **options)
    except LoyaltyLensError as error:
        shutil.rmtree(folder, ignore_errors=True)
        st.session_state[DRY_RUN] = (check_key, None, error)
        raise
    except BaseException:  # stopped (Cancel, another choice, the page left): none of it kept
        shutil.rmtree(folder, ignore_errors=True)
        raise
    st.session_state[DRY_RUN] = (check_key, staged, None)
    return staged


def _delete(datasets: list[Dataset]) -> None:
    with st.expander(t("Delete a dataset")):
        by_id = {d.id: d for d in datasets}
        chosen = st.selectbox(t("Dataset to delete"), list(by_id),
                              format_func=lambda i: by_id[i].name, key="delete_choice")
        sure = st.checkbox(t("Yes, delete it and all its data for good"), key="delete_sure")
        if st.button(t("Delete"), disabled=not sure, icon=":material/delete:"):
            try:
                deleted = services.get_store().delete_dataset(chosen)
            except LoyaltyLensError as error:
                show_error(error)
                return
            st.session_state.pop("delete_sure", None)
            st.toast(plain(t("Deleted “{name}”.", name=deleted.name)))
            st.rerun()


BENCHMARKS_STORED = "_benchmarks_stored"
BENCHMARK_SAVED = "_benchmark_saved"
# The columns of a benchmark set the page previews and lists.
BENCHMARK_PREVIEW = ("metric_id", "sector", "value", "unit", "period", "source", "year")


def _benchmark_sets() -> None:
    """Your own benchmarks or targets: upload a file in the benchmark format, list, delete."""
    st.subheader(t("Your own benchmarks or targets"))
    st.caption(t(
        "A CSV (or Excel) file with the columns of the industry benchmarks, for example your "
        "own targets: once saved it is picked like an industry. Required columns: "
        "{required}. Leave sector empty to use the set's name; period is monthly, quarterly, "
        "annual or n.a.; value is a number, a range like 92-93 or a bound like >3. Metric "
        "ids: {ids}.", required=", ".join(REQUIRED_COLUMNS), ids=", ".join(METRIC_IDS)))
    st.download_button(t("Download a template (CSV)"), template_csv(),
                       "benchmark-template.csv", mime="text/csv", icon=":material/download:",
                       key="benchmark_template")
    store = services.get_store()
    saved = st.session_state.pop(BENCHMARK_SAVED, None)
    if saved is not None:
        st.success(plain(tn("Saved {n} figure as “{name}”: pick it like an industry.",
                            "Saved {n} figures as “{name}”: pick them like an industry.",
                            saved[1], name=saved[0])), icon=":material/check_circle:")
    upload = st.file_uploader(
        t("Benchmark file (CSV or Excel .xlsx)"), type=["csv", "txt", "tsv", "xlsx"],
        key=f"benchmark_file_{st.session_state.get(BENCHMARKS_STORED, 0)}")
    path = session_upload(BENCHMARK_FILE, upload)
    if upload is not None and path is not None:
        name = st.text_input(t("Name of the set"), value=Path(upload.name).stem[:60],
                             key=f"benchmark_name_{upload.file_id}")
        try:  # in a process of its own, like every upload: a malformed file stops there
            rows = _isolated(BENCHMARK_ROWS, (path, name), functools.partial(
                read_benchmark_file, path, name), upload.name)
        except LoyaltyLensError as error:
            show_error(error)
        else:
            data_table(benchmark_frame(rows)[list(BENCHMARK_PREVIEW)], hide_index=True)
            if st.button(t("Save benchmarks"), type="primary", icon=":material/save:",
                         key="benchmark_save"):
                try:
                    save_benchmarks(store, name, rows)
                except LoyaltyLensError as error:
                    show_error(error)
                    return
                st.session_state[BENCHMARK_SAVED] = (rows[0].set_name, len(rows))
                forget_upload(BENCHMARK_FILE)
                st.session_state.pop(BENCHMARK_ROWS, None)
                st.session_state[BENCHMARKS_STORED] = (
                    st.session_state.get(BENCHMARKS_STORED, 0) + 1)
                st.rerun()
    figures = saved_benchmarks(store)
    if not figures:
        return
    table = benchmark_frame(figures)
    by_set = table.groupby("set_name", sort=False).agg(
        figures=("metric_id", "size"), sectors=("sector", lambda s: ", ".join(s.unique())),
        metrics=("metric_id", lambda s: ", ".join(s.unique()))).reset_index()
    st.write(t("Your saved sets:"))
    data_table(by_set.rename(columns={"set_name": t("Name"), "figures": t("Figures"),
                                      "sectors": t("Industries"), "metrics": t("Metrics")}),
               hide_index=True)
    chosen = st.selectbox(t("Set to delete"), list(by_set["set_name"]),
                          key="benchmark_delete_choice")
    if st.button(t("Delete set"), icon=":material/delete:", key="benchmark_delete"):
        try:
            delete_benchmarks(store, chosen)
        except LoyaltyLensError as error:
            show_error(error)
            return
        st.toast(plain(t("Deleted “{name}”.", name=chosen)))
        st.rerun()


def main() -> None:
    st.title(t("Data"))
    report = st.session_state.pop("last_report", None)
    if report is not None:
        _show_report(report)
    datasets = services.get_store().datasets()
    st.subheader(t("Datasets"))
    if datasets:
        by_workspace = len({d.workspace for d in datasets}) > 1
        data_table(_dataset_table(datasets, by_workspace), hide_index=True, width="stretch")
        _delete(datasets)
    else:
        st.info(t("No datasets yet: upload an orders file below."))
    _upload(datasets)
    _benchmark_sets()


main()
