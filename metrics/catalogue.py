"""The catalogue of a store folder (``catalogue.json``): its datasets, their tables and the
files of their versions, read without opening a database (``loyaltylens datasets``).

:mod:`metrics.store` writes it and opens the files it names; this module imports no DuckDB,
so a program that only lists datasets never starts the engine.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from metrics.errors import InputError, StoreUnavailable
from metrics.i18n import t
from metrics.principal import DEFAULT_WORKSPACE, Principal
from metrics.query.sql import quote_ident

DB_ENV_VAR = "LOYALTYLENS_DB"
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "loyaltylens.duckdb"
# Stored with the orders at ingest (sql/purchase_history.sql); older datasets lack them.
PURCHASE_HISTORY_COLUMNS = ("first_purchase_on", "previous_purchase_on", "next_purchase_on")
CATALOGUE_FILE = "catalogue.json"
CATALOGUE_FORMAT = 1


@dataclass(frozen=True)
class TableInfo:
    """What is stored for one kind of data in a dataset.

    ``rows`` counts the stored table's rows, which are what users count: orders (the
    lines of a line-item export grouped into their orders), customers, answers,
    subscriptions or spend entries; ``order_items`` counts order lines.
    """

    kind: str
    source: str | None
    rows: int
    mapping: dict[str, str]
    segment_columns: tuple[str, ...]
    first_date: date | None
    last_date: date | None
    loaded_at: datetime
    columns: tuple[str, ...] = ()
    # the page tables stored with the orders (metrics/page_aggregates.py): what each holds
    # and the fingerprint of the query that computed it; none before they existed. A cache
    # of the orders' numbers, not data: two tables holding the same rows are equal
    page_aggregates: dict[str, str] = field(default_factory=dict, compare=False)
    # the version that wrote the orders (their page tables' sidecar is named after it;
    # None: the dataset's own version wrote them), not data either
    orders_version: str | None = field(default=None, compare=False)


def dataset_schema(dataset_id: str) -> str:
    """The name under which a dataset's tables are attached (``ds_<id>``): in the writing
    job, in every reader, in the scratch store of a dry run."""
    return f"ds_{dataset_id}"

@dataclass(frozen=True)
class Dataset:
    """A named dataset and the tables it holds; ``version`` names its stored file."""

    id: str
    name: str
    currency: str | None
    created_at: datetime
    tables: dict[str, TableInfo] = field(default_factory=dict)
    version: str = ""
    workspace: str = DEFAULT_WORKSPACE

    @property
    def schema(self) -> str:
        return dataset_schema(self.id)

    @property
    def has_purchase_history(self) -> bool:
        """Whether its orders carry the purchase-history columns (stored since they exist)."""
        orders = self.tables.get("orders")
        return orders is not None and set(PURCHASE_HISTORY_COLUMNS) <= set(orders.columns)

    @property
    def orders_version(self) -> str | None:
        """The version that wrote its orders (None: it has none): the page tables of
        these orders are named after it, and a version that keeps them keeps it."""
        orders = self.tables.get("orders")
        return None if orders is None else orders.orders_version or self.version

    def table(self, kind: str) -> str:
        """Quoted, schema-qualified name of this dataset's table of ``kind``."""
        if kind not in self.tables:
            raise InputError(
                t(
                    "The dataset “{name}” has no {kind} data yet: upload a {kind} file "
                    "on the Data page first.",
                    name=self.name,
                    kind=kind,
                )
            )
        return f"{quote_ident(self.schema)}.{quote_ident(kind)}"


def default_db_path() -> Path:
    """The store's folder: ``$LOYALTYLENS_DB`` when set, else ``data/loyaltylens.duckdb``."""
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB_PATH)


def make_store_folder(root: Path, path: str) -> None:
    """Create the store folder ``root`` and its subfolders where missing; ``path`` is the
    folder as the user named it, for the sentence saying it cannot be created."""
    try:
        # the data folder is the CLI's boundary: only its owner may read it
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        (root / "datasets").mkdir(parents=True, exist_ok=True)
        (root / "benchmarks").mkdir(exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
    except OSError as error:
        raise StoreUnavailable(t("Cannot create the LoyaltyLens data folder {path}: "
                                 "{reason}. Point --db / LOYALTYLENS_DB at a folder "
                                 "you can write to.", path=path,
                                 reason=error.strerror or error)) from error


def empty_catalogue() -> dict[str, Any]:
    return {"format": CATALOGUE_FORMAT, "datasets": {}, "benchmarks": None}


def read_catalogue(root: Path) -> dict[str, Any]:
    try:
        text = (root / CATALOGUE_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty_catalogue()
    catalogue: dict[str, Any] = json.loads(text)
    return catalogue




def catalogue_stamp(root: Path) -> tuple[int, int, int] | None:
    """Changes whenever the catalogue is replaced (a new file, so a new inode)."""
    try:
        status = os.stat(root / CATALOGUE_FILE)
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size








def _table_info(kind: str, entry: dict[str, Any]) -> TableInfo:
    first, last = entry.get("first_date"), entry.get("last_date")
    return TableInfo(
        kind=kind,
        source=entry.get("source"),
        rows=int(entry["rows"]),
        mapping=dict(entry["mapping"]),
        segment_columns=tuple(entry["segment_columns"]),
        first_date=date.fromisoformat(first) if first else None,
        last_date=date.fromisoformat(last) if last else None,
        loaded_at=datetime.fromisoformat(entry["loaded_at"]),
        columns=tuple(entry.get("columns", ())),
        page_aggregates=dict(entry.get("page_aggregates") or {}),
        orders_version=entry.get("orders_version"),
    )


def entry_workspace(entry: dict[str, Any]) -> str:
    """A catalogue entry's workspace: written before workspaces existed, ``default``."""
    return str(entry.get("workspace") or DEFAULT_WORKSPACE)


def visible_entries(catalogue: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """The catalogue entries of the datasets ``principal`` may see, by id."""
    return {dataset_id: entry for dataset_id, entry in catalogue["datasets"].items()
            if principal.can_see(entry_workspace(entry))}


def workspace_dataset_count(root: Path | str, workspace: str) -> int:
    """How many datasets the store folder ``root`` holds in ``workspace``."""
    entries = read_catalogue(Path(root))["datasets"].values()
    return sum(entry_workspace(entry) == workspace for entry in entries)


def datasets_of(entries: dict[str, Any]) -> list[Dataset]:
    datasets = [
        Dataset(id=dataset_id, name=entry["name"], currency=entry.get("currency"),
                created_at=datetime.fromisoformat(entry["created_at"]),
                tables={kind: _table_info(kind, info)
                        for kind, info in entry["tables"].items()},
                version=entry["version"], workspace=entry_workspace(entry))
        for dataset_id, entry in entries.items()
    ]
    datasets.sort(key=lambda d: d.name)
    datasets.sort(key=lambda d: d.created_at, reverse=True)  # newest first, then by name
    return datasets


def dataset_of_entry(dataset_id: str, entry: dict[str, Any]) -> Dataset:
    """The dataset a catalogue entry describes (also an export's description:
    metrics.engines.parquet)."""
    return datasets_of({dataset_id: entry})[0]


def listed_datasets(root: Path, principal: Principal) -> list[Dataset]:
    """Every dataset of the store folder ``root`` that ``principal`` may see, newest first:
    what :meth:`metrics.store.Store.datasets` lists, read from the catalogue alone (the
    folder made, as opening the store makes it, when missing)."""
    make_store_folder(root, str(root))
    return datasets_of(visible_entries(read_catalogue(root), principal))
