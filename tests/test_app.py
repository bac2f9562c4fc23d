"""Every page under Streamlit's AppTest: with and without query parameters, bad parameters,
and the numbers on screen against the ``metrics`` results for the same filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from dashboard.formatting import format_value
from metrics.benchmarks import read_benchmark_file, save_benchmarks
from metrics.definitions import KPIS
from metrics.ingest import ingest_file
from metrics.kpis import kpi_table
from metrics.query.filters import Filters
from metrics.significance import caption, change_test
from metrics.store import Store

APP = str(Path(__file__).parent.parent / "dashboard" / "app.py")
PAGES = ("app_pages/overview.py", "app_pages/retention.py", "app_pages/clv.py",
         "app_pages/segments/segments.py", "app_pages/satisfaction.py", "app_pages/data.py")


def dataset_id(db: Path, name: str) -> str:
    with Store(db) as store:
        return store.dataset(name).id


def open_app(query: dict[str, str | list[str]] | None = None, page: str | None = None,
             *, explainers: bool = False) -> AppTest:
    """Open the app as a link does: on ``page`` (default: the first) with ``query``;
    with ``explainers``, its charts' "How is this computed?" opened too."""
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    if page is not None:
        app.switch_page(page)
    app.run()
    assert not app.exception, app.exception
    return open_explainers(app) if explainers else app


def open_explainers(app: AppTest) -> AppTest:
    """Open every expander of the page that draws only while open (a chart's or a card's
    "How is this computed?", the Overview's table), as a user's click does, and run the
    page again."""
    for expander in app.expander:
        key = expander.proto.id.split("-", 2)[-1]  # "$$ID-<hash>-<key>"
        if key.endswith("_open"):
            app.session_state[key] = True
    app.run()
    assert not app.exception, app.exception
    return app


def unescaped(text: str) -> str:
    return text.replace("\\", "")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_without_query_parameters(db: Path, page: str) -> None:
    app = open_app(page=page)
    assert app.title[0].value in ("Overview", "Retention", "Customer lifetime value",
                                  "Segments", "Satisfaction (NPS)", "Data")
    assert not app.warning


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_an_empty_database(isolated_db: Path, page: str) -> None:
    app = open_app(page=page)
    assert app.info, "an empty database explains what to do"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_with_query_parameters(db: Path, page: str) -> None:
    query = {"dataset": dataset_id(db, "Demo shop"), "period": "quarter",
             "start": "2025-01-01", "end": "2025-12-31", "w": "60",
             "seg.channel": ["Online shop", "Marketplace"]}
    app = open_app(query, page=page)
    assert app.selectbox(key="dataset").value == query["dataset"]
    assert app.radio(key="period").value == "quarter"
    assert app.date_input(key="dates").value == (date(2025, 1, 1), date(2025, 12, 31))
    assert app.number_input(key="w").value == 60
    assert app.multiselect(key="seg.channel").value == ["Online shop", "Marketplace"]
    assert not app.warning


# February 2024 in the small shop with W = 30, worked out by hand in test_kpis.py: the
# Overview's cards, label to value.
SMALL_SHOP_FEBRUARY_CARDS = {
    "Customers in the base": "3", "New customers": "1", "Active customers": "2",
    "Orders": "2", "Revenue (EUR)": "80.00", "Avg. order value (EUR)": "40.00",
    "Repeat purchase rate": "50.0%", "Retention rate (CRR)": "66.7%",
    "Strict retention rate": "66.7%", "Churn rate": "33.3%",
    # January's buyers A, B, E spent 150 + 200 + 90 = 440; in February only A, 80
    # (below A's 150, so gross = net): 80 / 440
    "Net revenue retention": "18.2%", "Gross revenue retention": "18.2%",
}


def test_the_overview_shows_the_metrics_numbers_for_the_linked_view(db: Path) -> None:
    app = open_app({"dataset": dataset_id(db, "Small shop"), "w": "30", "at": "2024-02-01"})
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown == SMALL_SHOP_FEBRUARY_CARDS


def test_the_overview_equals_metrics_for_a_filtered_demo_view(db: Path) -> None:
    query = {"dataset": dataset_id(db, "Demo shop"), "period": "quarter", "w": "120",
             "seg.Region": ["Iași"], "at": "2025-07-01"}
    app = open_app(query)
    with Store(db) as store:
        table = kpi_table(store, store.dataset("Demo shop"), Filters(
            period="quarter", inactivity_days=120, segments=(("Region", ("Iași",)),)))
    row = table[table["period_start"] == date(2025, 7, 1)].iloc[0]
    previous = table[table["period_start"] == date(2025, 4, 1)].iloc[0]
    cards = {metric.label.split(" (")[0]: metric for metric in app.metric}
    for metric in KPIS:
        card = cards[metric.title().split(" (")[0]]
        expected = format_value(row[metric.id], metric.unit,
                                None if metric.unit == "currency" else "RON", whole=True)
        assert card.value == expected, metric.id
        if row[metric.id] != previous[metric.id]:
            assert card.delta, f"{metric.id} shows its change against Q2 2025"


SIGNIFICANCE_CAPTIONS = ("A real change", "Within normal variation", "Not tested")


def test_the_overview_says_whether_each_change_is_significant(db: Path) -> None:
    # Q3 2025 against Q2 in Iași with W = 120: each card's caption under its change is
    # what metrics.significance says for the same two rows of the KPI table.
    query = {"dataset": dataset_id(db, "Demo shop"), "period": "quarter", "w": "120",
             "seg.Region": ["Iași"], "at": "2025-07-01"}
    app = open_app(query)
    with Store(db) as store:
        table = kpi_table(store, store.dataset("Demo shop"), Filters(
            period="quarter", inactivity_days=120, segments=(("Region", ("Iași",)),)))
    row = table[table["period_start"] == date(2025, 7, 1)].iloc[0]
    previous = table[table["period_start"] == date(2025, 4, 1)].iloc[0]
    expected = [caption(change_test(metric, row, previous)) for metric in KPIS]
    shown = [c.value for c in app.caption if c.value.startswith(SIGNIFICANCE_CAPTIONS)]
    assert shown == expected
    assert {text.split(" (")[0].split(":")[0] for text in shown} == set(SIGNIFICANCE_CAPTIONS)
    # an incomplete period shows no change, so nothing is said about its significance
    app = open_app({"dataset": dataset_id(db, "Demo shop"), "at": "2026-11-01"})
    assert not [c for c in app.caption if c.value.startswith(SIGNIFICANCE_CAPTIONS)]


def test_an_incomplete_period_is_marked_and_not_compared(db: Path) -> None:
    # The demo data stops on 20 Nov 2026.
    app = open_app({"dataset": dataset_id(db, "Demo shop"), "at": "2026-11-01"})
    assert any("incomplete" in w.value for w in app.warning)
    assert all(not metric.delta for metric in app.metric)


def test_an_industry_in_the_link_puts_its_benchmark_beside_the_cards(db: Path) -> None:
    # Retail's only published retention figure is Paddle's 63% a year; on a monthly view it
    # reads 100 × 0.63^(1/12) = 96.2229% a month (annual = monthly^12).
    query = {"dataset": dataset_id(db, "Demo shop"), "industry": "Retail", "at": "2025-07-01"}
    app = open_app(query)
    assert app.selectbox(key="industry").value == "Retail"
    with Store(db) as store:
        table = kpi_table(store, store.dataset("Demo shop"), Filters())
    crr = table[table["period_start"] == date(2025, 7, 1)].iloc[0]["retention_rate"]
    difference = crr - 100 * 0.63 ** (1 / 12)
    sign = "+" if difference >= 0 else "−"
    lines = [unescaped(c.value) for c in app.caption if "vs industry" in c.value]
    assert any(line.startswith(f"vs industry (96.2%): {sign}{abs(difference):.1f} pp")
               and "converted from annual" in line and "Paddle 2021" in line
               for line in lines), lines
    assert app.query_params["industry"] == "Retail"
    # without an industry nothing is compared
    assert not [c for c in open_app({"dataset": query["dataset"]}).caption
                if "vs industry" in c.value]


def test_a_dataset_of_survey_answers_alone_is_listed_and_its_pages_say_what_they_need(
        isolated_db: Path, tmp_path: Path) -> None:
    answers = tmp_path / "survey.csv"
    answers.write_text("Date,How likely are you to recommend us?,Comment,Email\n"
                       "2025-03-02,10,Great,ana@example.ro\n2025-03-09,3,Slow,ion@example.ro\n",
                       encoding="utf-8")
    with Store(isolated_db) as store:
        ingest_file(store, answers, dataset="Survey", kind="responses")
    overview = open_app()
    assert overview.selectbox(key="dataset").value == dataset_id(isolated_db, "Survey")
    assert overview.date_input(key="dates").value == (date(2025, 3, 2), date(2025, 3, 9))
    assert any("needs orders" in unescaped(i.value) for i in overview.info)
    satisfaction = open_app(page="app_pages/satisfaction.py")
    cards = {metric.label: metric.value for metric in satisfaction.metric}
    # The answers start and stop inside March: no complete month to compare yet, but the
    # NPS of the latest answers and of the whole range are there: 1 promoter and 1
    # detractor of 2, NPS 0.
    assert cards == {"NPS, whole range": "0.0", "NPS": "–",
                     "NPS, latest answers": "0.0"}, cards


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ({"industry": "Astrology"}, "industry “Astrology”"),
        ({"period": "fortnight"}, "granularity “fortnight”"),
        ({"start": "abc"}, "start date “abc”"),
        ({"w": "0"}, "inactivity window “0”"),
        ({"seg.channel": "Teleport"}, "segment “Channel” “Teleport”"),
        ({"at": "1999-01-01"}, "period “1999-01-01”"),
        ({"metric": "happiness"}, "metric “happiness”"),
    ],
)
def test_bad_query_parameters_warn_and_fall_back(db: Path, query: dict[str, str],
                                                 mentions: str) -> None:
    app = open_app(query)
    warnings = [unescaped(w.value) for w in app.warning]
    assert any(mentions in w and "default is shown" in w for w in warnings), warnings
    assert len(app.metric) == len(KPIS)


def test_dates_outside_the_data_are_moved_inside(db: Path) -> None:
    app = open_app({"start": "1990-01-01", "end": "2090-01-01"})
    assert app.date_input(key="dates").value == (date(2023, 11, 1), date(2026, 11, 20))
    assert any("outside the data" in unescaped(w.value) for w in app.warning)


def test_filters_survive_a_page_switch(db: Path) -> None:
    app = open_app({"period": "year", "seg.channel": "Marketplace"})
    app.switch_page("app_pages/data.py").run()
    app.switch_page("app_pages/overview.py").run()
    assert not app.exception
    assert app.radio(key="period").value == "year"
    assert app.multiselect(key="seg.channel").value == ["Marketplace"]
    assert app.query_params["period"] == "year"


def test_the_url_follows_the_widgets(db: Path) -> None:
    app = open_app()
    app.radio(key="period").set_value("week").run()
    app.multiselect(key="seg.Region").select("Cluj-Napoca").run()
    assert app.query_params["period"] == "week"
    assert app.query_params["seg.Region"] == "Cluj-Napoca"
    assert app.query_params["dataset"] == app.selectbox(key="dataset").value


def test_the_data_page_lists_and_deletes_datasets(db: Path) -> None:
    app = open_app(page="app_pages/data.py")
    listed = app.dataframe[0].value
    assert sorted(listed["Name"]) == ["Demo shop", "Small shop"]
    small = dataset_id(db, "Small shop")
    app.selectbox(key="delete_choice").set_value(small).run()
    app.checkbox(key="delete_sure").check().run()
    next(b for b in app.button if b.label == "Delete").click().run()
    assert not app.exception
    assert list(app.dataframe[0].value["Name"]) == ["Demo shop"]


# -- uploads on the Data page (the same corpus files as tests/test_ingest_corpus.py) -----

def upload(app: AppTest, name: str, content: bytes) -> AppTest:
    uploader = next(u for u in app.file_uploader if u.key.startswith("upload_file_"))
    uploader.upload(name, content, "text/csv").run()
    assert not app.exception, app.exception
    return app


def currency_box(app: AppTest) -> Selectbox[Any]:
    return next(s for s in app.selectbox if s.key and s.key.startswith("currency_"))


def store_upload(app: AppTest) -> None:
    next(b for b in app.button if b.label == "Store").click().run()
    assert not app.exception, app.exception


LOCALE_EXPORTS = Path(__file__).parent / "data" / "locale_exports"


def test_a_russian_cp1251_export_is_previewed_checked_and_stored(db: Path) -> None:
    from tests.corpus import RUSSIAN, Style, orders_text

    style = Style(encoding="cp1251", delimiter=";", names=lambda s: RUSSIAN.get(s, s),
                  header=("Покупатель", "Дата", "Сумма", "Город"),
                  date=lambda d: d.strftime("%d.%m.%Y"),
                  amount=lambda a: f"{a:,.2f}".replace(",", "\u00a0").replace(".", ","))
    app = upload(open_app(page="app_pages/data.py"), "заказы.csv",
                 orders_text(style).encode("cp1251"))
    preview = app.dataframe[1].value
    assert list(preview.columns) == ["Покупатель", "Дата", "Сумма", "Город"]
    mapped = {role: next(s.value for s in app.selectbox
                         if s.key and s.key.startswith(f"map_orders_{role}_"))
              for role in ("customer_id", "order_date", "amount", "order_id")}
    assert mapped == {"customer_id": "Покупатель", "order_date": "Дата", "amount": "Сумма",
                      "order_id": ""}
    report = unescaped(app.info[0].value)
    assert report.startswith("Ready to store 4 of 4 rows of orders in “заказы”")
    details = unescaped(app.caption[1].value)
    assert "Windows-1251 (Cyrillic)" in details
    # no sign beside the amounts: the code page suggests roubles, and says so
    assert currency_box(app).value == "RUB"
    assert "guessed from the file's encoding, Windows-1251 (Cyrillic)" in currency_box(app).help
    assert ("Currency: RUB, guessed from the file's encoding (the amounts carry no currency "
            "sign)") in details
    with Store(db) as store:
        assert store.find_dataset("заказы") is None, "nothing stored before Store is pressed"
    store_upload(app)
    assert unescaped(app.success[0].value).startswith("Stored 4 of 4 rows of orders in “заказы”")
    assert "Currency: RUB, guessed from the file's encoding" in unescaped(app.caption[0].value)
    with Store(db) as store:
        dataset = store.dataset("заказы")
        assert (dataset.tables["orders"].rows, dataset.currency) == (4, "RUB")
    assert app.selectbox(key="dataset").value == dataset.id


def test_a_romanian_windows_1250_export_is_stored_in_lei_with_its_lost_letters_shown(
        db: Path) -> None:
    content = (LOCALE_EXPORTS / "ro_libreoffice_cp1250.csv").read_bytes()
    app = upload(open_app(page="app_pages/data.py"), "comenzi.csv", content)
    assert currency_box(app).value == "RON"
    assert [unescaped(w.value) for w in app.warning] == [
        "7 values (for example “Ana Mure?an”) have a “?” in place of letters that could not "
        "be saved in the Windows-1250 (Central European) encoding: save the file as UTF-8 "
        "(“CSV UTF-8”) to keep them."]
    store_upload(app)
    with Store(db) as store:
        assert store.dataset("comenzi").currency == "RON"


def test_amounts_that_tell_no_currency_ask_for_one(db: Path) -> None:
    content = b"Customer,Date,Amount\na,2025-01-03,10.50\nb,2025-01-04,20\n"
    app = upload(open_app(page="app_pages/data.py"), "plain.csv", content)
    box = currency_box(app)
    assert (box.value, box.placeholder) == (None, "Not detected: choose one")
    assert ("Currency: none, not detected (amounts are shown without a currency sign)"
            in unescaped(app.caption[1].value))
    box.set_value("PLN").run()
    assert "Currency: PLN, chosen" in unescaped(app.caption[1].value)
    store_upload(app)
    assert "Currency: PLN, chosen" in unescaped(app.caption[0].value)
    with Store(db) as store:
        assert store.dataset("plain").currency == "PLN"


def test_a_currency_column_sets_the_currency_and_the_report_says_so(db: Path) -> None:
    content = b"Customer,Date,Amount,Currency\na,2025-01-03,10.50,usd\nb,2025-01-04,20,usd\n"
    app = upload(open_app(page="app_pages/data.py"), "stripe.csv", content)
    box = currency_box(app)
    assert (box.value, box.help) == ("USD", "Read from the file's currency column.")
    assert "Currency: USD, read from the file's currency column" in unescaped(
        app.caption[1].value)
    store_upload(app)
    with Store(db) as store:
        assert store.dataset("stripe").currency == "USD"


def test_a_workbook_report_tells_of_cells_not_of_delimiters(db: Path, tmp_path: Path) -> None:
    from tests.test_ingest_corpus import write_workbook

    content = write_workbook(tmp_path / "comenzi.xlsx").read_bytes()
    app = upload(open_app(page="app_pages/data.py"), "comenzi.xlsx", content)
    details = unescaped(app.caption[1].value).split(" · ")
    assert details[:4] == [
        "File: Excel workbook, sheet “Comenzi”", "Amounts: number cells", "Dates: date cells",
        "Currency: RON, guessed from the language of the column names (the amounts carry no "
        "currency sign)"]
    assert not any(d.startswith(("Delimiter", "Decimal mark", "Date format")) for d in details)


def test_ambiguous_dates_are_asked_before_anything_is_checked(db: Path) -> None:
    content = b"Customer,Date,Amount\na,01/02/2025,10\nb,03/04/2025,20\n"
    app = upload(open_app(page="app_pages/data.py"), "us.csv", content)
    assert any("day-first or month-first" in unescaped(w.value) for w in app.warning)
    assert not [b for b in app.button if b.label == "Store"]
    radio = next(r for r in app.radio if r.key and r.key.startswith("dates_"))
    radio.set_value("mm/dd/yyyy").run()
    assert unescaped(app.info[0].value).startswith("Ready to store 2 of 2 rows")
    assert "Date format: mm/dd/yyyy" in unescaped(app.caption[1].value)


def test_rows_dated_in_the_future_are_set_aside_unless_the_box_is_ticked(db: Path) -> None:
    clean = upload(open_app(page="app_pages/data.py"), "past.csv",
                   b"Customer,Date,Amount\na,2025-01-03,10\n")
    assert not [c for c in clean.checkbox if c.key and c.key.startswith("keep_dates_")]
    content = b"Customer,Date,Amount\na,2025-01-03,10\nb,2099-05-01,20\n"
    app = upload(open_app(page="app_pages/data.py"), "future.csv", content)
    assert unescaped(app.info[0].value).startswith("Ready to store 1 of 2 rows")
    assert "Order date is after today" in app.dataframe[-1].value["Reason"][0]
    box = next(c for c in app.checkbox if c.key and c.key.startswith("keep_dates_"))
    assert box.label == "Keep rows dated after today or before 1990"
    box.check().run()
    assert unescaped(app.info[0].value).startswith("Ready to store 2 of 2 rows")
    store_upload(app)
    with Store(db) as store:
        assert store.dataset("future").tables["orders"].last_date == date(2099, 5, 1)


def test_a_line_item_export_is_counted_in_orders_on_the_data_page_and_overview(
        isolated_db: Path, tmp_path: Path) -> None:
    from tests.builders import write_csv
    from tests.test_ingest_corpus import SHOPIFY

    # 5 Shopify lines: #1001 (3 lines), #1002, #1003 (a refund): 3 orders
    with Store(isolated_db) as store:
        ingest_file(store, write_csv(tmp_path / "shopify.csv", *SHOPIFY), dataset="Shopify")
    listed = open_app(page="app_pages/data.py").dataframe[0].value
    assert list(listed["Orders"]) == ["3"]
    subtitle = unescaped(open_app().caption[0].value)
    assert subtitle.startswith("Shopify · 3 orders from ")


def test_a_refused_upload_says_why_and_stores_nothing(db: Path) -> None:
    app = upload(open_app(page="app_pages/data.py"), "empty.csv", b"Customer,Date,Amount\n")
    assert unescaped(app.error[0].value) == "empty.csv has a header row but no data rows."
    with Store(db) as store:
        assert sorted(d.name for d in store.datasets()) == ["Demo shop", "Small shop"]


def test_survey_answers_are_added_to_an_existing_dataset(db: Path) -> None:
    app = open_app(page="app_pages/data.py")
    app.selectbox(key="upload_kind").set_value("responses").run()
    upload(app, "nps.csv", b"Date,NPS,Comment\n2025-01-10,10,=cmd()\n2025-01-11,4,slow\n")
    target = next(s for s in app.selectbox if s.key and s.key.startswith("target_"))
    # no customer ids to match: the user chooses, nothing is chosen for them
    assert target.value is None
    assert any(c.value.startswith("No customer id of the file is a customer of a dataset")
               for c in app.caption)
    assert not [b for b in app.button if b.label == "Store"]
    target.set_value("Small shop").run()  # the demo has survey answers of its own
    next(b for b in app.button if b.label == "Store").click().run()
    assert not app.exception
    with Store(db) as store:
        assert set(store.dataset("Small shop").tables) == {"orders", "responses"}


def test_survey_answers_go_to_the_dataset_whose_customers_gave_them(db: Path) -> None:
    app = open_app(page="app_pages/data.py")
    app.selectbox(key="upload_kind").set_value("responses").run()
    # A and B are customers of the small shop, Z of no dataset; the demo is the newest
    upload(app, "nps.csv", b"Date,NPS,Client\n2025-01-10,10,A\n2025-01-11,4,B\n"
                           b"2025-01-12,9,Z\n")
    target = next(s for s in app.selectbox if s.key and s.key.startswith("target_"))
    assert target.value == "Small shop"
    notes = [unescaped(c.value) for c in app.caption]
    assert "2 of 3 answers match customers of Small shop" in notes
    target.set_value("").run()  # a new dataset: the answers have no amounts to ask about
    assert not [s for s in app.selectbox if s.key and s.key.startswith("currency_")]
    target.set_value("Small shop").run()
    store_upload(app)
    with Store(db) as store:
        assert store.dataset("Small shop").tables["responses"].rows == 3


def test_a_currency_is_asked_only_for_a_file_with_amounts(db: Path) -> None:
    def currency_asked(content: bytes) -> bool:
        app = open_app(page="app_pages/data.py")
        app.selectbox(key="upload_kind").set_value("customers").run()
        upload(app, "crm.csv", content)
        next(s for s in app.selectbox if s.key and s.key.startswith("target_")).set_value(
            "").run()  # a new dataset
        assert app.info, "the report is shown"
        return any(s.key and s.key.startswith("currency_") for s in app.selectbox)

    assert not currency_asked(b"Customer,Segment\nA,vip\nB,new\n")
    assert currency_asked(b"Customer,Acquisition cost\nA,12.50\nB,8\n")


def test_a_saved_set_of_targets_is_picked_like_an_industry(db: Path, tmp_path: Path) -> None:
    # Our own target: keep 80% of customers a year, i.e. 100 × 0.8^(1/12) = 98.1577% a
    # month; no figure for churn, so the churn card says nothing.
    targets = tmp_path / "targets.csv"
    targets.write_text("metric_id,value,unit,period,source,year\n"
                       "retention_rate,80,%,annual,Our 2026 plan,2026\n", encoding="utf-8")
    with Store(db) as store:
        save_benchmarks(store, "Our targets", read_benchmark_file(targets, "Our targets"))
        table = kpi_table(store, store.dataset("Demo shop"), Filters())
    app = open_app({"dataset": dataset_id(db, "Demo shop"), "industry": "Our targets",
                    "at": "2025-07-01"})
    assert not app.warning
    crr = table[table["period_start"] == date(2025, 7, 1)].iloc[0]["retention_rate"]
    difference = crr - 100 * 0.8 ** (1 / 12)
    sign = "+" if difference >= 0 else "−"
    lines = [unescaped(c.value) for c in app.caption if "vs industry" in c.value]
    assert len(lines) == 2  # CRR and the strict rate, which is compared with retention too
    assert lines[0].startswith(f"vs industry (98.2%): {sign}{abs(difference):.1f} pp")
    assert "Our 2026 plan 2026" in lines[0]
