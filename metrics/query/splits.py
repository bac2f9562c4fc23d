"""One query split by several segments at once: each order's customer carries their value
of every segment (``split_0``, ``split_1``, ...), and the first aggregation groups by
GROUPING SETS, one set per segment, into the columns ``segment`` and ``group_value`` that
every later step of the query keeps beside the period."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from metrics.query.filters import Filters
from metrics.query.segments import COHORT_SPLIT, customer_groups_query, segment_column
from metrics.query.sql import load_sql, piece, quote_ident
from metrics.store import Dataset

# The columns a split query adds before the period in its steps and its result.
SPLIT_COLUMNS: tuple[str, ...] = ("segment", "group_value")


@dataclass(frozen=True)
class SplitColumns:
    """The split's columns as a query template writes them (``str.format`` fills
    ``{split}``, ``{split:p}``, ``{split:n=b}``, ...); without segments every form is
    empty, so one template serves the unsplit query and the split one.

    Format specs: ``""`` the columns and a comma (``segment, group_value, ``); ``"a"``
    the same of the alias ``a``; ``"a=b"`` the join condition `` AND a.segment IS NOT
    DISTINCT FROM b.segment ...`` (a value may be NULL: the customers without one);
    ``"over"`` / ``"over a"`` a window's ``PARTITION BY``; ``"null"`` NULL columns
    (a step that is empty by construction); ``"cross"`` the cross join with the CTE
    ``split_groups`` (sql/kpi_split_groups.sql).
    """

    split: bool = False

    def __format__(self, spec: str) -> str:
        if not self.split:
            return ""
        if spec == "null":
            return "".join(f"CAST(NULL AS VARCHAR) AS {c}, " for c in SPLIT_COLUMNS)
        if spec == "cross":
            return " CROSS JOIN split_groups"
        if spec.startswith("over"):
            alias = spec.removeprefix("over").strip()
            return "PARTITION BY " + ", ".join(_qualified(alias, c) for c in SPLIT_COLUMNS)
        if "=" in spec:
            left, right = spec.split("=")
            return "".join(f" AND {left}.{c} IS NOT DISTINCT FROM {right}.{c}"
                           for c in SPLIT_COLUMNS)
        return "".join(f"{_qualified(spec, c)}, " for c in SPLIT_COLUMNS)


def _qualified(alias: str, column: str) -> str:
    return f"{alias}.{column}" if alias else column


@dataclass(frozen=True)
class Split:
    """The SQL pieces splitting an orders query by ``keys`` (segment keys of
    :func:`metrics.query.segments.segment_dimensions`, or
    :data:`~metrics.query.segments.COHORT_SPLIT`), each customer in exactly one group per
    key (:func:`metrics.query.segments.customer_groups_sql`'s rule; None: no value).

    ``values`` selects ``split_0, split_1, ...`` (one per key, in order) from the joins of
    ``joins`` (placed after the orders, joined by ``customer_id``);
    ``grouping`` turns a GROUP BY into one grouping set per key and ``labelled`` selects
    the set's key and value as ``segment`` and ``group_value`` (the key bound as
    ``$split_key_<n>``: segment names come from files).
    """

    keys: tuple[str, ...] = ()
    joins: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # the alias of the join each key's split_<n> comes from
    sources: tuple[str, ...] = ()

    @property
    def columns(self) -> SplitColumns:
        return SplitColumns(bool(self.keys))

    @property
    def values(self) -> str:
        return "".join(f"{source}.split_{n} AS split_{n}, "
                       for n, source in enumerate(self.sources))

    @property
    def placed_values(self) -> str:
        """The ``split_<n>`` columns as a step after the orders' has them."""
        return "".join(f"split_{n}, " for n in range(len(self.keys)))

    @property
    def grouping(self) -> str:
        if not self.keys:
            return ""
        sets = ", ".join(f"(split_{n})" for n in range(len(self.keys)))
        return f", GROUPING SETS ({sets})"

    @property
    def labelled(self) -> str:
        if not self.keys:
            return ""
        key = " ".join(f"WHEN GROUPING(split_{n}) = 0 THEN CAST($split_key_{n} AS VARCHAR)"
                       for n in range(len(self.keys)))
        value = " ".join(f"WHEN GROUPING(split_{n}) = 0 THEN split_{n}"
                         for n in range(len(self.keys)))
        return f"CASE {key} END AS segment, CASE {value} END AS group_value, "


def split_by(dataset: Dataset, filters: Filters, keys: tuple[str, ...]) -> Split:
    """The :class:`Split` of a query over the purchase history stored with the orders
    (:func:`metrics.query.segments.history_holds`) by ``keys`` for the filter state.

    The columns of the orders come from one pass over the customers' first purchase days
    (sql/customer_groups_first_values.sql, for the customers with an order from
    ``$rows_from`` to ``$rows_to``, which the query binds; the filters keep or drop whole
    customers, so their first purchase day is the stored one); every other key joins its
    own :func:`metrics.query.segments.customer_groups_query`.
    """
    if not keys:
        return Split()
    columns = {n: segment_column(dataset, key)[1] for n, key in enumerate(keys)
               if key != COHORT_SPLIT and segment_column(dataset, key)[0] == "orders"}
    joins: list[str] = []
    sources = ["first_values" if n in columns else f"groups_{n}" for n in range(len(keys))]
    params: dict[str, Any] = {f"split_key_{n}": key for n, key in enumerate(keys)}
    if columns:
        sql = load_sql("customer_groups_first_values").format(
            values=",\n    ".join(f"MIN(CAST({quote_ident(column)} AS VARCHAR)) AS split_{n}"
                                  for n, column in columns.items()),
            orders_table=dataset.table("orders"))
        joins.append(f"LEFT JOIN (\n{piece(sql)}) AS first_values USING (customer_id)")
    for n, key in enumerate(keys):
        if n not in columns:
            groups, bound = customer_groups_query(dataset, key, filters)
            joins.append(f"LEFT JOIN (\n{piece(groups)}) AS groups_{n}(customer_id, split_{n}) "
                         "USING (customer_id)")
            params |= bound
    return Split(keys, "\n".join(joins), params, tuple(sources))
