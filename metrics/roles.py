"""The canonical tables (DESIGN.md, "Canonical tables") and the column roles of each.

A role is a column LoyaltyLens understands (customer id, order date, amount, ...). Header
names in English, Romanian and Russian suggest the role of a column; the user confirms or
changes every suggestion before anything is stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from metrics.errors import InputError
from metrics.i18n import t

RoleType = Literal["id", "date", "amount", "text", "number"]


@dataclass(frozen=True)
class Role:
    """One column role of a canonical table."""

    name: str
    label: str
    type: RoleType
    required: bool
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class TableKind:
    """A canonical table: its roles and the date role that places rows in time."""

    name: str
    label: str
    roles: tuple[Role, ...]
    date_role: str

    def role(self, name: str) -> Role:
        return next(role for role in self.roles if role.name == name)

    @property
    def required_roles(self) -> tuple[Role, ...]:
        return tuple(role for role in self.roles if role.required)


_CUSTOMER = (
    "customer id", "customer_id", "customer", "customerid", "client id", "client", "user id",
    "email", "e-mail", "customer email", "buyer", "clientul", "cod client", "id client",
    "client_id", "клиент", "покупатель", "код клиента", "id клиента", "контрагент",
)

ORDERS = TableKind(
    name="orders",
    label="Orders",
    date_role="order_date",
    roles=(
        Role("customer_id", "Customer ID", "id", True, _CUSTOMER),
        Role(
            "order_date", "Order date", "date", True,
            ("order date", "order_date", "date", "created at", "created_at", "purchase date",
             "order created", "data", "data comenzii", "data comanda", "дата", "дата заказа",
             "дата покупки", "дата продажи"),
        ),
        Role(
            "amount", "Amount", "amount", True,
            ("amount", "total", "order total", "revenue", "sales", "value", "price", "sum",
             "total price", "valoare", "suma", "total comanda", "сумма", "итого", "стоимость",
             "выручка", "сумма заказа"),
        ),
        Role(
            "order_id", "Order ID", "id", False,
            ("order id", "order_id", "order", "order number", "invoice", "name", "id comanda",
             "comanda", "nr comanda", "номер заказа", "заказ", "номер", "документ"),
        ),
    ),
)

TABLE_KINDS: dict[str, TableKind] = {ORDERS.name: ORDERS}


def table_kind(name: str) -> TableKind:
    if name not in TABLE_KINDS:
        raise ValueError(f"unknown table kind {name!r}")
    return TABLE_KINDS[name]


def _normalise(header: str) -> str:
    """Lower-case, accents removed, punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", plain).strip()


def suggest_mapping(kind: TableKind, headers: Sequence[str]) -> dict[str, str]:
    """Suggest a column for each role from the header names: exact synonyms first.

    Returns ``{role name: header}`` for the roles a header was found for; a header is
    used for at most one role.
    """
    normalised = {header: _normalise(header) for header in headers}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for exact in (True, False):
        for role in kind.roles:
            if role.name in mapping:
                continue
            synonyms = [_normalise(s) for s in role.synonyms]
            for header in headers:
                if header in taken:
                    continue
                name = normalised[header]
                hit = name in synonyms if exact else any(
                    re.search(rf"\b{re.escape(s)}\b", name) for s in synonyms if len(s) > 3
                )
                if hit:
                    mapping[role.name] = header
                    taken.add(header)
                    break
    return mapping


def validate_mapping(kind: TableKind, mapping: dict[str, str], headers: Sequence[str]) -> None:
    """Raise :class:`InputError` unless the mapping fits the file and the table kind.

    Every required role needs a column, every chosen column must exist, and a column can
    hold only one role.
    """
    role_names = {role.name for role in kind.roles}
    for role_name, column in mapping.items():
        if role_name not in role_names:
            raise InputError(
                t("“{role}” is not a column role of {kind} data; the roles are: {roles}.",
                  role=role_name, kind=kind.label.lower(), roles=", ".join(sorted(role_names)))
            )
        if column not in headers:
            raise InputError(
                t("The file has no column “{column}” (chosen for {role}): pick one of its "
                  "columns.", column=column, role=kind.role(role_name).label)
            )
    missing = [role.label for role in kind.required_roles if not mapping.get(role.name)]
    if missing:
        raise InputError(
            t("Choose which column holds {roles}: {kind} data needs it to compute anything.",
              roles=", ".join(missing), kind=kind.label.lower())
        )
    used = list(mapping.values())
    if len(used) != len(set(used)):
        raise InputError(
            t("Each column can hold only one role: choose a different column for each role.")
        )
