"""The Segments page's loyalty views: a "How is this computed?" under every chart and row
of tiles, computed only when asked, whose inputs recompute the number the page shows.

On the small loyal shop of tests/test_loyalty.py with W = 30 days (worked out by hand
there): products bought so far A Mug, Tea; B Mug; C Pen, Ink, Paper; D Ink, Pen; E Tea;
F Pen, Paper: 4 customers with several products, 2 with one, upsell ratio 4 ÷ 2 = 2.00.
Discount-based customers: B and F, 2 of the 6 customers, 33.3%.
"""

from __future__ import annotations

import re
from pathlib import Path

from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import write_csv
from tests.test_app import dataset_id, open_app, unescaped
from tests.test_loyalty import HEADER, ROWS

PAGE = "app_pages/segments/segments.py"
LABEL = "How is this computed?"
# The page's explainers by key: the two loyalty-type charts, the upsell tiles and chart,
# next products, the programme chart, enrolment, the redemption tiles, AOV with and
# without points, and the simulator's tiles and two charts.
EXPLAINERS = ("loyalty_types", "loyalty_value", "upsell_cards", "upsell_chart",
              "next_products", "programme", "enrolment", "redemption", "points_aov",
              "simulator_cards", "simulator_profit", "simulator_customers")


def _inputs(expander) -> dict[str, str]:  # type: ignore[no-untyped-def]
    lines = [unescaped(c.value).split(" = ") for c in expander.caption
             if " = " in unescaped(c.value) and not c.value.startswith("Formula")]
    return dict(lines)


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def test_every_loyalty_chart_has_its_explainer_and_computes_nothing_before_asked(
        db: Path) -> None:
    app = open_app(page=PAGE, explainers=True)  # the demo: every view has data
    keys = {widget.key for widget in app.toggle}
    for key in EXPLAINERS:
        assert any(k.startswith(f"explain_{key}_") for k in keys), key
    # the loyalty views' explainers, beside the other views' of the page
    assert len([e for e in app.expander if e.label == LABEL]) >= len(EXPLAINERS)
    assert not [c for c in app.code if "loyalty" in c.value or "upsell" in c.value]


def _loyal_shop(db: Path, tmp_path: Path) -> str:
    with Store(db) as store:
        ingest_file(store, write_csv(tmp_path / "loyal.csv", HEADER, ROWS),
                    dataset="Loyal shop", currency="EUR")
    return dataset_id(db, "Loyal shop")


def test_the_upsell_tiles_and_a_type_share_recompute_from_their_inputs(
        db: Path, tmp_path: Path) -> None:
    app = open_app({"dataset": _loyal_shop(db, tmp_path), "w": "30"}, page=PAGE, explainers=True)
    app.toggle(key="explain_upsell_cards_upsell_ratio").set_value(True)
    app.toggle(key="explain_loyalty_types_loyalty_type_share").set_value(True)
    app.selectbox(key="explain_loyalty_types_group").set_value("discount")
    app.run()
    assert not app.exception, app.exception
    expanders = [e for e in app.expander if e.label == LABEL]
    upsell = next(e for e in expanders if any("several products =" in unescaped(c.value)
                                              for c in e.caption))
    shown = _inputs(upsell)
    several = _number(shown["Customers with several products"])
    one = _number(shown["Customers with one product"])
    assert (several, one) == (4, 2)
    cards = {m.label: m.value for m in app.metric}
    assert cards["Upsell ratio"] == f"{several / one:,.2f}" == "2.00"
    # the customers behind it
    rows = upsell.dataframe[0].value
    assert rows["Customers with several products"].sum() == several

    share = next(e for e in expanders if any("Customers of the type =" in unescaped(c.value)
                                             for c in e.caption))
    shown = _inputs(share)
    of_type = _number(shown["Customers of the type"])
    everyone = _number(shown["Customers with a purchase in the range"])
    assert (of_type, everyone) == (2, 6)
    table = next(d.value for d in app.dataframe if "Share of customers" in d.value.columns
                 and "Type" in d.value.columns)
    discount = table.set_index("Type").loc["Discount-based", "Share of customers"]
    assert discount == f"{100 * of_type / everyone:.1f}%" == "33.3%"
