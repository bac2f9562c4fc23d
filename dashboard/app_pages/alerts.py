"""Alerts: the state of the dataset's alert rules in the latest complete period, and the
rules to edit (the Overview's banner and ``loyaltylens digest`` read them)."""

from __future__ import annotations

from dashboard.alerts import rules_editor, rules_state
from dashboard.filters import page_data
from metrics.i18n import t


def main() -> None:
    selected = page_data(t("Alerts"), needs="orders")
    if selected is None:
        return
    _, dataset, filters = selected
    rules_state(dataset, filters)
    rules_editor(dataset)


main()
