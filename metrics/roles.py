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
from metrics.i18n import N_, t

RoleType = Literal["id", "date", "amount", "number", "score", "text"]


@dataclass(frozen=True)
class Role:
    """One column role of a canonical table.

    ``score`` roles hold whole numbers from ``low`` to ``high``; roles sharing a
    ``one_of`` group need at least one of them mapped (and filled in each row).
    """

    name: str
    label: str
    type: RoleType
    required: bool
    synonyms: tuple[str, ...]
    low: int | None = None
    high: int | None = None
    one_of: str | None = None


@dataclass(frozen=True)
class TableKind:
    """A canonical table: its roles and the date role that places rows in time."""

    name: str
    label: str
    roles: tuple[Role, ...]
    date_role: str | None

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
_CHANNEL = ("channel", "source", "sales channel", "canal", "sursa", "канал", "источник")


def _customer_id(required: bool = True) -> Role:
    return Role("customer_id", N_("Customer ID"), "id", required, _CUSTOMER)


def _currency() -> Role:
    """The currency of each row's amounts (Shopify, Stripe, WooCommerce export one)."""
    return Role("currency", N_("Currency"), "text", False,
                ("currency", "order currency", "currency code", "moneda", "valuta",
                 "валюта", "код валюты"))


ORDERS = TableKind(
    name="orders",
    label=N_("Orders"),
    date_role="order_date",
    roles=(
        _customer_id(),
        Role(
            "order_date", N_("Order date"), "date", True,
            ("order date", "order_date", "date", "created at", "created_at", "purchase date",
             "order created", "paid at", "data", "data comenzii", "data comanda", "дата",
             "дата заказа", "дата покупки", "дата продажи"),
        ),
        Role(
            "amount", N_("Amount"), "amount", True,
            ("amount", "total", "order total", "revenue", "sales", "value", "sum",
             "total price", "valoare", "suma", "total comanda", "сумма", "итого", "стоимость",
             "выручка", "сумма заказа"),
        ),
        Role(
            "order_id", N_("Order ID"), "id", False,
            ("order id", "order_id", "order", "order number", "invoice", "name", "id comanda",
             "comanda", "nr comanda", "numar comanda", "номер заказа", "заказ", "номер",
             "документ"),
        ),
        Role("product", N_("Product"), "text", False,
             ("product", "lineitem name", "item", "product name", "sku", "produs", "articol",
              "товар", "номенклатура", "наименование")),
        Role("category", N_("Category"), "text", False,
             ("category", "product type", "categorie", "категория", "группа")),
        Role("quantity", N_("Quantity"), "number", False,
             ("quantity", "qty", "lineitem quantity", "cantitate", "количество", "кол во")),
        Role("channel", N_("Channel"), "text", False, _CHANNEL),
        Role("discount_amount", N_("Discount"), "amount", False,
             ("discount", "discount amount", "reducere", "discount total", "скидка")),
        Role("points_redeemed", N_("Points redeemed"), "number", False,
             ("points redeemed", "points", "puncte", "баллы", "списано баллов")),
        Role("loyalty_member", N_("Loyalty member"), "text", False,
             ("loyalty member", "member", "membru", "участник программы")),
        _currency(),
    ),
)

CUSTOMERS = TableKind(
    name="customers",
    label=N_("Customers"),
    date_role="signup_date",
    roles=(
        _customer_id(),
        Role("signup_date", N_("Sign-up date"), "date", False,
             ("signup date", "signup_date", "sign up date", "created at", "registered",
              "registration date", "data inregistrarii", "дата регистрации")),
        Role("segment", N_("Segment"), "text", False, ("segment", "сегмент", "customer segment")),
        Role("country", N_("Country"), "text", False, ("country", "tara", "страна")),
        Role("acquisition_channel", N_("Acquisition channel"), "text", False,
             ("acquisition channel", "acquisition_channel", "channel", "source", "canal",
              "канал привлечения", "канал")),
        Role("loyalty_tier", N_("Loyalty tier"), "text", False,
             ("loyalty tier", "tier", "nivel", "уровень", "статус")),
        Role("acquisition_cost", N_("Acquisition cost"), "amount", False,
             ("acquisition cost", "cac", "cost achizitie", "стоимость привлечения")),
        _currency(),
    ),
)

SUBSCRIPTIONS = TableKind(
    name="subscriptions",
    label=N_("Subscriptions"),
    date_role="start_date",
    roles=(
        _customer_id(),
        Role("start_date", N_("Start date"), "date", True,
             ("start date", "start_date", "started at", "start", "data inceput",
              "дата начала", "начало")),
        Role("end_date", N_("End date"), "date", False,
             ("end date", "end_date", "ended at", "canceled at", "cancelled at", "end",
              "data sfarsit", "дата окончания", "окончание")),
        Role("plan", N_("Plan"), "text", False, ("plan", "tarif", "тариф")),
        Role("mrr", N_("MRR"), "amount", False,
             ("mrr", "monthly amount", "monthly revenue", "abonament", "ежемесячный платеж")),
        _currency(),
    ),
)

RESPONSES = TableKind(
    name="responses",
    label=N_("Survey responses"),
    date_role="response_date",
    roles=(
        Role("response_date", N_("Response date"), "date", True,
             ("response date", "response_date", "date", "submitted at", "created at",
              "timestamp", "date submitted", "submitted", "data", "дата", "дата ответа")),
        Role("nps_score", N_("NPS score (0-10)"), "score", False,
             ("nps", "nps score", "score", "likelihood to recommend", "recommend", "scor nps",
              "recomandati", "ne recomanda", "оценка", "nps оценка", "порекомендуете",
              "порекомендовать"), low=0, high=10, one_of="score"),
        Role("csat_score", N_("CSAT score (1-5)"), "score", False,
             ("csat", "csat score", "satisfaction", "satisfactie", "удовлетворенность"),
             low=1, high=5, one_of="score"),
        Role("cli_q1", N_("CLI: would recommend (1-6)"), "score", False,
             ("cli q1", "cli_q1", "cli recommend"), low=1, high=6, one_of="score"),
        Role("cli_q2", N_("CLI: would buy again (1-6)"), "score", False,
             ("cli q2", "cli_q2", "cli buy again"), low=1, high=6, one_of="score"),
        Role("cli_q3", N_("CLI: would try other products (1-6)"), "score", False,
             ("cli q3", "cli_q3", "cli other products"), low=1, high=6, one_of="score"),
        _customer_id(required=False),
        Role("comment", N_("Comment"), "text", False,
             ("comment", "comments", "feedback", "verbatim", "reason",
              "why did you give this score", "comentariu", "комментарий", "отзыв")),
    ),
)

SPEND = TableKind(
    name="spend",
    label=N_("Marketing spend"),
    date_role="spend_date",
    roles=(
        Role("spend_date", N_("Date"), "date", True,
             ("date", "spend date", "spend_date", "day", "month", "data", "дата", "период")),
        Role("amount", N_("Amount"), "amount", True,
             ("amount", "spend", "cost", "budget", "suma", "cost total", "сумма", "расход",
              "затраты")),
        Role("channel", N_("Channel"), "text", False, _CHANNEL),
        _currency(),
    ),
)

TABLE_KINDS: dict[str, TableKind] = {
    kind.name: kind for kind in (ORDERS, CUSTOMERS, SUBSCRIPTIONS, RESPONSES, SPEND)
}


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


# Letters only Romanian writes among our users' languages: ă, and ș ț with the comma below
# or (as older keyboards and Windows-1250 write them) the cedilla.
ROMANIAN_LETTERS = "ăĂșȘțȚşŞţŢ"
# Words of Romanian column names that no English, Russian or other Latin-alphabet export
# we know uses (normalised: lower case, no accents). "Data", "Client", "Suma", "Canal"
# are shared with other languages and tell nothing.
_ROMANIAN_WORDS = frozenset({
    "clientul", "comenzii", "valoare", "numar", "produs", "articol", "categorie",
    "cantitate", "sursa", "reducere", "puncte", "membru", "inregistrarii", "tara",
    "achizitie", "inceput", "sfarsit", "scor", "satisfactie", "comentariu",
})
# Cyrillic letters of Ukrainian, Belarusian and Kazakh that Russian does not write.
_NOT_RUSSIAN = frozenset("іїєґўәғқңөұүһІЇЄҐЎӘҒҚҢӨҰҮҺ")


def header_language(headers: Sequence[str]) -> str | None:
    """``"ro"`` or ``"ru"`` when column names are written in Romanian or Russian, else None.

    Russian: Cyrillic letters, none of them Ukrainian, Belarusian or Kazakh only. Romanian:
    a letter only Romanian writes, or a word only Romanian column names use. Names in both
    (or in neither) tell nothing.
    """
    found: set[str] = set()
    for header in headers:
        if any("\u0400" <= char <= "\u04ff" for char in header):
            found.add("other" if _NOT_RUSSIAN & set(header) else "ru")
        if set(ROMANIAN_LETTERS) & set(header) or _ROMANIAN_WORDS & set(
                _normalise(header).split()):
            found.add("ro")
    return found.pop() if len(found) == 1 and found != {"other"} else None


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
    groups = {role.one_of for role in kind.roles if role.one_of}
    for group in sorted(groups):
        members = [role for role in kind.roles if role.one_of == group]
        if not any(mapping.get(role.name) for role in members):
            raise InputError(
                t("Choose the column of at least one of: {roles}.",
                  roles=", ".join(role.label for role in members))
            )
    used = list(mapping.values())
    if len(used) != len(set(used)):
        raise InputError(
            t("Each column can hold only one role: choose a different column for each role.")
        )


def column_label(kind: str, column: str) -> str:
    """What a stored column is called on screen: a role's label, or the file's header."""
    table = TABLE_KINDS[kind]
    for role in table.roles:
        if role.name == column:
            return t(role.label)
    return column
