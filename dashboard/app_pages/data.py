"""Data: upload an orders file, map its columns, store it as a dataset; list and delete."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.filters import select_dataset
from dashboard.formatting import format_day, format_value
from dashboard.safe import plain, show_error
from metrics.errors import LoyaltyLensError
from metrics.export import to_csv
from metrics.i18n import t
from metrics.ingest import IngestReport, ingest_file, inspect_file
from metrics.roles import ORDERS, column_label
from metrics.store import Dataset

CURRENCIES = ("EUR", "RON", "RUB", "USD", "GBP", "PLN", "MDL", "UAH", "KZT", "CHF")
NO_COLUMN = ""
UPLOADS_STORED = "_uploads_stored"


def _dataset_table(datasets: list[Dataset]) -> pd.DataFrame:
    rows = []
    for dataset in datasets:
        orders = dataset.tables.get("orders")
        rows.append({
            t("Name"): dataset.name,
            t("Orders"): format_value(orders.rows, "orders", None) if orders else "–",
            t("First order"): format_day(orders.first_date) if orders and orders.first_date
            else "–",
            t("Last order"): format_day(orders.last_date) if orders and orders.last_date
            else "–",
            t("Segments"): ", ".join(column_label("orders", c) for c in orders.segment_columns)
            if orders else "",
            t("Currency"): dataset.currency or "–",
            t("Source file"): orders.source if orders else "",
        })
    return pd.DataFrame(rows)


def _show_report(report: IngestReport) -> None:
    st.success(plain(t(
        "Stored {stored} of {read} rows as “{name}”. {rejected} rows were set aside.",
        stored=f"{report.rows_stored:,}", read=f"{report.rows_read:,}",
        name=report.dataset_name, rejected=f"{report.rows_rejected:,}")),
        icon=":material/check_circle:")
    found = report.detected
    delimiter = {",": t("comma"), ";": t("semicolon"), "\t": t("tab"), "|": t("pipe")}
    decimal = {".": t("point"), ",": t("comma")}
    details = [
        t("Encoding: {value}", value=found["encoding"]),
        t("Delimiter: {value}", value=delimiter.get(found["delimiter"], found["delimiter"])),
        t("Decimal mark: {value}", value=decimal.get(found["decimal_mark"],
                                                     found["decimal_mark"])),
        t("Date format: {value}", value=found["date_format"]),
    ]
    if report.first_date and report.last_date:
        details.append(t("Orders from {first} to {last}", first=format_day(report.first_date),
                         last=format_day(report.last_date)))
    st.caption(plain(" · ".join(details)))
    if report.rejected_by_reason:
        st.write(t("Rows set aside and why:"))
        st.dataframe(pd.DataFrame(report.rejected_by_reason).rename(
            columns={"reason": t("Reason"), "rows": t("Rows")}), hide_index=True)
        rejected = pd.DataFrame([{t("Row in file"): r["row"], t("Reason"): r["reason"],
                                  **r["values"]} for r in report.rejected_rows])
        st.download_button(t("Download the rows set aside (CSV)"), to_csv(rejected),
                           "rows-set-aside.csv", mime="text/csv", icon=":material/download:")


def _upload() -> None:
    st.subheader(t("Upload orders"))
    st.caption(t("A CSV export with a header row, one row per order: a customer id, the "
                 "order date and the amount. Other columns (channel, region, ...) become "
                 "segment filters. Negative amounts are counted as refunds."))
    # A new key after each stored upload empties the uploader for the next file.
    upload = st.file_uploader(t("Orders file (CSV)"), type=["csv"],
                              key=f"upload_file_{st.session_state.get(UPLOADS_STORED, 0)}")
    if upload is None:
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(upload.getvalue())
        try:
            inspection = inspect_file(path, source=upload.name)
        except LoyaltyLensError as error:
            show_error(error)
            return
        st.write(t("Preview of the first rows ({rows} data rows in the file):",
                   rows=f"{inspection.rows:,}"))
        st.dataframe(inspection.preview, hide_index=True, height=220)

        with st.form("store_upload"):
            name = st.text_input(t("Dataset name"), value=Path(upload.name).stem[:60])
            currency = st.selectbox(t("Currency of the amounts"), CURRENCIES)
            st.write(t("Which column holds what? Suggested from the header names; change any "
                       "that is wrong."))
            mapping: dict[str, str] = {}
            columns = st.columns(len(ORDERS.roles))
            options = [NO_COLUMN, *inspection.headers]
            for column, role in zip(columns, ORDERS.roles, strict=True):
                suggested = inspection.suggested_mapping.get(role.name, NO_COLUMN)
                label = t(role.label) + ("" if role.required else " " + t("(optional)"))
                mapping[role.name] = column.selectbox(
                    label, options, index=options.index(suggested),
                    format_func=lambda c: c or t("— none —"),
                    key=f"map_{role.name}_{upload.file_id}")
            replace = st.checkbox(t("If a dataset with this name already has orders, replace "
                                    "them with this file"))
            submitted = st.form_submit_button(t("Store dataset"), type="primary",
                                              icon=":material/save:")
        if submitted:
            try:
                report = ingest_file(services.get_store(), path, dataset=name,
                                     mapping={k: v for k, v in mapping.items() if v},
                                     currency=currency, source=upload.name, replace=replace)
            except LoyaltyLensError as error:
                show_error(error)
                return
            st.session_state["last_report"] = report
            select_dataset(report.dataset_id)
            st.session_state[UPLOADS_STORED] = st.session_state.get(UPLOADS_STORED, 0) + 1
            st.rerun()


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


def main() -> None:
    st.title(t("Data"))
    report = st.session_state.pop("last_report", None)
    if report is not None:
        _show_report(report)
    datasets = services.get_store().datasets()
    st.subheader(t("Datasets"))
    if datasets:
        st.dataframe(_dataset_table(datasets), hide_index=True, width="stretch")
        _delete(datasets)
    else:
        st.info(t("No datasets yet: upload an orders file below."))
    _upload()


main()
