"""Alerts in the dashboard: the Overview's banner when a rule of the digest fires, and the
Alerts page's state and editor of a dataset's rules (the rules ``loyaltylens digest`` uses
too)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import services
from dashboard.formatting import period_label
from dashboard.safe import plain, show_error
from dashboard.widgets import data_editor
from metrics.definitions import REGISTRY
from metrics.digest import (
    DEFAULT_RULES,
    RULE_METRICS,
    SEVERITIES,
    Digest,
    Rule,
    alert_sentence,
    rule_from_mapping,
    save_rules,
    saved_rules,
)
from metrics.errors import LoyaltyLensError
from metrics.i18n import t, tn
from metrics.query.filters import Filters, orders_span
from metrics.store import Dataset

RULES_SAVED = "_alert_rules_saved"
# The editor's columns: the settings of a rule (metrics.digest.Rule), in its order.
_NUMBERS = ("above", "below", "change_below", "change_above")


def latest_digest(dataset: Dataset, filters: Filters) -> Digest:
    """The digest of the data's latest complete period, with the view's granularity and W
    and the dataset's rules."""
    _, last_order = orders_span(dataset)
    return services.digest(dataset, last_order, filters.period, filters.inactivity_days)


def alert_banner(dataset: Dataset, filters: Filters) -> None:
    """A banner naming the rules that fire in the data's latest complete period (the
    Overview's granularity and W); nothing when none fires or no period is complete."""
    try:
        digest = latest_digest(dataset, filters)
    except LoyaltyLensError:
        return  # no complete period yet: nothing to alert on (the page says why itself)
    fired = digest.fired
    if not fired:
        return
    text = tn("{n} alert rule fired in {period}:", "{n} alert rules fired in {period}:",
              len(fired), period=period_label(filters.period, digest.period_start))
    items = "\n".join(f"- {plain(alert_sentence(alert))}" for alert in fired)
    critical = any(alert.rule.severity == "critical" for alert in fired)
    show = st.error if critical else st.warning
    show(plain(text) + "\n" + items, icon=":material/notifications_active:")


def _rules_frame(rules: tuple[Rule, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"metric": r.metric, "severity": r.severity,
          **{name: getattr(r, name) for name in _NUMBERS},
          "significant_drop": r.significant_drop, "min_base": r.min_base} for r in rules],
        columns=["metric", "severity", *_NUMBERS, "significant_drop", "min_base"]
    ).astype(dict.fromkeys(_NUMBERS, "float64"))


def _rule_fields(row: dict[str, Any]) -> dict[str, Any]:
    """An edited row as a rule's settings: empty cells left out."""
    fields = {key: value for key, value in row.items()
              if value is not None and not (isinstance(value, float) and pd.isna(value))}
    if "min_base" in fields:
        fields["min_base"] = int(fields["min_base"])
    fields["significant_drop"] = bool(fields.get("significant_drop", False))
    return fields


def rules_state(dataset: Dataset, filters: Filters) -> None:
    """Each rule's outcome in the data's latest complete period."""
    try:
        digest = latest_digest(dataset, filters)
    except LoyaltyLensError as error:
        show_error(error)
        return
    st.subheader(t("Rules in {period}", period=period_label(filters.period,
                                                            digest.period_start)))
    for alert in digest.alerts:
        st.write(plain(alert_sentence(alert)))


def rules_editor(dataset: Dataset) -> None:
    """The dataset's alert rules as an editable table, saved in the store folder."""
    st.subheader(t("Edit the rules"))
    st.caption(plain(t(
        "The rules the Overview's banner and the loyaltylens digest command check on the "
        "latest complete period of “{name}”. A rule fires when all the conditions it sets "
        "hold: Above or Below a level, Change below or Change above against the previous "
        "period (percentage points for a rate), Worse beyond its margin of error, and a "
        "period's sample of at least the Minimum sample.", name=dataset.name)))
    saved = st.session_state.pop(RULES_SAVED, None)
    if saved is not None:
        st.success(tn("Saved {n} rule.", "Saved {n} rules.", saved),
                   icon=":material/check_circle:")
    store = services.get_store()
    try:
        rules = saved_rules(store, dataset)
    except LoyaltyLensError as error:
        show_error(error)
        rules = DEFAULT_RULES
    number = st.column_config.NumberColumn
    edited = data_editor(
        _rules_frame(rules), num_rows="dynamic", hide_index=True, key=f"rules_{dataset.id}",
        column_config={
            "metric": st.column_config.SelectboxColumn(
                t("Metric"), options=list(RULE_METRICS), required=True,
                help=", ".join(f"{m}: {t(REGISTRY[m].label)}" for m in RULE_METRICS)),
            "severity": st.column_config.SelectboxColumn(
                t("Severity"), options=list(SEVERITIES), required=True, default="warning"),
            "above": number(t("Above")), "below": number(t("Below")),
            "change_below": number(t("Change below")),
            "change_above": number(t("Change above")),
            "significant_drop": st.column_config.CheckboxColumn(
                t("Worse beyond its margin of error"), default=False),
            "min_base": number(t("Minimum sample"), min_value=0, step=1, default=0),
        })
    if st.button(t("Save rules"), icon=":material/save:", key="rules_save"):
        try:
            new_rules = tuple(rule_from_mapping(index, _rule_fields(row)) for index, row
                              in enumerate(edited.to_dict("records"), 1))
            save_rules(store, dataset, new_rules)
        except LoyaltyLensError as error:
            show_error(error)
            return
        st.session_state[RULES_SAVED] = len(new_rules)
        st.rerun()
