"""The Overview's alert banner and the Data page's rules (AppTest), on the shop of
:func:`tests.builders.shop_with_known_changes` ending on March 31."""

from __future__ import annotations

from pathlib import Path

from dashboard.alerts import _rule_fields, _rules_frame
from metrics.digest import Rule, rule_from_mapping, save_rules
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import shop_with_known_changes, write_csv
from tests.test_app import open_app, unescaped

# March, the data's latest complete month with W = 20: churn 30/230 = 13.0% (February
# 8.0%), strict retention 86.96% against 92% (-5.04 pp).
CHURN_ABOVE_8 = Rule("churn_rate", "critical", above=8.0, min_base=100)
STRICT_DOWN_3 = Rule("strict_retention_rate", "warning", change_below=-3.0, min_base=100)


def _shop(db: Path, tmp_path: Path, *rules: Rule) -> str:
    path = write_csv(tmp_path / "orders.csv", ("customer_id", "order_date", "amount"),
                     shop_with_known_changes(april=False))
    with Store(db) as store:
        ingest_file(store, path, dataset="Shop", currency="EUR")
        dataset = store.dataset("Shop")
        if rules:
            save_rules(store, dataset, rules)
        return dataset.id


def test_a_critical_rule_fired_shows_a_red_banner_naming_the_rules(
        isolated_db: Path, tmp_path: Path) -> None:
    dataset_id = _shop(isolated_db, tmp_path, CHURN_ABOVE_8, STRICT_DOWN_3)
    app = open_app({"dataset": dataset_id, "w": "20"})
    (banner,) = app.error
    text = unescaped(banner.value)
    assert text.startswith("2 alert rules fired in")
    assert "Churn rate: above 8% (with a sample of at least 100); now 13.0%, before 8.0%" \
        in text
    assert "Strict retention rate: down by more than 3 pp" in text
    assert "now 87.0%, before 92.0%" in text


def test_a_warning_alone_is_a_yellow_banner(isolated_db: Path, tmp_path: Path) -> None:
    dataset_id = _shop(isolated_db, tmp_path, STRICT_DOWN_3)
    app = open_app({"dataset": dataset_id, "w": "20"})
    assert not app.error
    (banner,) = app.warning
    assert unescaped(banner.value).startswith("1 alert rule fired in")


def test_no_banner_when_no_rule_fires(isolated_db: Path, tmp_path: Path) -> None:
    # with W = 90 nobody leaves the base before April: March's churn is 0%
    dataset_id = _shop(isolated_db, tmp_path, CHURN_ABOVE_8, STRICT_DOWN_3)
    app = open_app({"dataset": dataset_id, "w": "90"})
    assert not app.error and not app.warning


def test_the_alerts_page_shows_each_rules_state_and_the_editor(
        isolated_db: Path, tmp_path: Path) -> None:
    dataset_id = _shop(isolated_db, tmp_path, CHURN_ABOVE_8)
    app = open_app({"dataset": dataset_id, "w": "20"}, page="app_pages/alerts.py")
    assert app.title[0].value == "Alerts"
    states = [unescaped(text.value) for text in app.markdown]
    assert any(s.startswith("FIRED (critical): Churn rate: above 8%") for s in states), states
    assert app.button(key="rules_save")


def test_the_alerts_page_without_data_says_how_to_get_some(isolated_db: Path) -> None:
    app = open_app(page="app_pages/alerts.py")
    assert app.info


def test_the_editors_rows_read_back_as_the_rules_they_show() -> None:
    # the table the editor shows, as Streamlit hands its rows back (empty cells NaN)
    rules = (CHURN_ABOVE_8, STRICT_DOWN_3, Rule("nps", significant_drop=True, min_base=30))
    rows = _rules_frame(rules).to_dict("records")
    assert rows[0]["below"] != rows[0]["below"]  # NaN: an empty cell
    assert tuple(rule_from_mapping(i, _rule_fields(row))
                 for i, row in enumerate(rows, 1)) == rules
