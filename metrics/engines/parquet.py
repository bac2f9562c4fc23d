"""Exporting a dataset as Parquet (``loyaltylens export``) for the Spark engine, and reading
the export's description back.

The export is a folder: one folder of Parquet files per stored table (``orders/``,
``customers/``, ...; the orders split into ``loyaltylens_month=YYYY-MM`` folders), and
``loyaltylens.json``, the dataset's catalogue entry (its name, currency, and for each table
its columns, segment columns, mapping and date span), which the metric functions read as
they read a stored dataset's.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from metrics.errors import InputError
from metrics.i18n import t
from metrics.query.sql import load_sql, quote_ident, sql_literal
from metrics.store import Dataset, Store, TableInfo

MANIFEST = "loyaltylens.json"
MANIFEST_FORMAT = 1
# The column the orders' files are split by (a folder per month): a name no column of a
# user's file is given by the ingest's mapping, and left out when Spark reads the files.
PARTITION_COLUMN = "loyaltylens_month"
# What each table is split by: the orders by month (the metrics read periods of orders).
_PARTITIONS = {"orders": ("order_date", "%Y-%m")}


def export_parquet(store: Store, dataset: Dataset, directory: Path | str) -> dict[str, Any]:
    """Write ``dataset``'s stored tables to ``directory`` as Parquet, with its description.

    The folder is written beside ``directory`` and renamed into place when complete, so a
    failed export leaves nothing behind.

    Returns
    -------
    dict
        What was written: the folder, the dataset's id and name, and the rows per table.

    Raises
    ------
    InputError
        ``directory`` exists and is not empty (nothing is overwritten), or its parent
        folder cannot be written.
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(t("{path} already exists and is not empty: name a new folder for "
                           "the export (nothing was written).", path=target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as error:
        raise InputError(t("Cannot write the export into {path}: {reason}. Name a folder you "
                           "can write to.", path=target.parent,
                           reason=error.strerror or error)) from error
    try:
        for kind in dataset.tables:
            _export_table(store, dataset, kind, staging / kind)
        (staging / MANIFEST).write_text(
            json.dumps(manifest(dataset), ensure_ascii=False, indent=2), encoding="utf-8")
        if target.exists():
            target.rmdir()  # empty: checked above
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"folder": str(target), "id": dataset.id, "name": dataset.name,
            "tables": {kind: info.rows for kind, info in dataset.tables.items()}}


def _export_table(store: Store, dataset: Dataset, kind: str, folder: Path) -> None:
    partition, partition_by = "", ""
    if kind in _PARTITIONS:
        column, pattern = _PARTITIONS[kind]
        partition = (f", strftime({quote_ident(column)}, {sql_literal(pattern)}) AS "
                     f"{PARTITION_COLUMN}")
        partition_by = f", PARTITION_BY ({PARTITION_COLUMN})"
    else:
        folder.mkdir()
        folder = folder / "data_0.parquet"
    sql = load_sql("export_parquet").format(table=dataset.table(kind), partition=partition,
                                            partition_by=partition_by)
    with store.reader(sql) as cursor:
        cursor.execute(sql, {"path": str(folder)})


def manifest(dataset: Dataset) -> dict[str, Any]:
    """The dataset's description in the export: its catalogue entry."""
    return {"format": MANIFEST_FORMAT, "id": dataset.id, "name": dataset.name,
            "currency": dataset.currency, "workspace": dataset.workspace,
            "created_at": dataset.created_at.isoformat(), "version": dataset.version,
            "partitioned_by": {kind: PARTITION_COLUMN for kind in _PARTITIONS
                               if kind in dataset.tables},
            "tables": {kind: _table_entry(info) for kind, info in dataset.tables.items()}}


def _table_entry(info: TableInfo) -> dict[str, Any]:
    return {"source": info.source, "rows": info.rows, "mapping": info.mapping,
            "segment_columns": list(info.segment_columns),
            "first_date": info.first_date.isoformat() if info.first_date else None,
            "last_date": info.last_date.isoformat() if info.last_date else None,
            "loaded_at": info.loaded_at.isoformat(), "columns": list(info.columns)}
