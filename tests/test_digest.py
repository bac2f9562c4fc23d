"""The digest with alerts: rules fire and clear on a hand-built shop, exit statuses, the
state file and the webhook post (``loyaltylens digest``)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest

from metrics.benchmarks import read_benchmark_file, save_benchmarks
from metrics.cli import main
from metrics.digest import (
    DEFAULT_RULES,
    Alert,
    Digest,
    Rule,
    parse_rules,
    rules_toml,
    save_rules,
    saved_rules,
    webhook_text,
)
from metrics.errors import InputError
from metrics.ingest import ingest_file
from metrics.store import Store
from tests.builders import shop_with_known_changes, write_csv

# The shop of tests.builders.shop_with_known_changes: W = 20 days, monthly periods.
W = "20"
CHURN_ABOVE_8 = '[[rule]]\nmetric = "churn_rate"\nabove = 8.0\nseverity = "critical"\n' \
                "min_base = 100\n"
CHURN_RULE = Rule("churn_rate", "critical", above=8.0, min_base=100)
STRICT_DOWN_3 = '[[rule]]\nmetric = "strict_retention_rate"\nchange_below = -3.0\n' \
                'severity = "warning"\nmin_base = 100\n'


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("digest")
    path = folder / "shop.duckdb"
    csv_path = write_csv(folder / "orders.csv", ("customer_id", "order_date", "amount"),
                         shop_with_known_changes())
    with Store(path) as store:
        ingest_file(store, csv_path, dataset="Shop", currency="EUR")
    return path


class _Receiver(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, str]]]:
    """A webhook receiver on 127.0.0.1; its address in $DIGEST_HOOK; the posts it got."""
    bodies: ClassVar[list[dict[str, str]]] = []
    handler = type("Receiver", (_Receiver,), {"bodies": bodies})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DIGEST_HOOK", f"http://127.0.0.1:{server.server_port}/hook")
    yield bodies
    server.shutdown()
    server.server_close()
    thread.join()


def _digest(db: Path, out: Path, as_of: str, rules: str | None, *extra: str) -> int:
    out.mkdir(exist_ok=True)
    args = ["--db", str(db), "digest", "--dataset", "Shop", "--as-of", as_of,
            "--inactivity-days", W, "--out", str(out), *extra]
    if rules is not None:
        (out / "rules.toml").write_text(rules, encoding="utf-8")
        args += ["--rules", str(out / "rules.toml")]
    return main(args)


def _alerts(out: Path) -> list[dict[str, object]]:
    alerts: list[dict[str, object]] = json.loads(
        (out / "digest.json").read_text(encoding="utf-8"))["alerts"]
    return alerts


def test_march_fires_the_critical_churn_rule_and_the_warning_and_exits_2(
        db: Path, tmp_path: Path) -> None:
    assert _digest(db, tmp_path / "out", "2024-04-15", CHURN_ABOVE_8 + STRICT_DOWN_3) == 2
    report = json.loads((tmp_path / "out" / "digest.json").read_text(encoding="utf-8"))
    assert (report["period_start"], report["period_end"]) == ("2024-03-01", "2024-03-31")
    churn, strict = report["alerts"]
    assert churn["status"] == "fired" and churn["base"] == 230
    assert churn["value"] == pytest.approx(30 / 230 * 100)
    assert churn["previous"] == pytest.approx(20 / 250 * 100)
    assert strict["status"] == "fired"
    assert strict["value"] - strict["previous"] == pytest.approx(200 / 230 * 100 - 92.0)


def test_the_warning_alone_exits_1(db: Path, tmp_path: Path) -> None:
    assert _digest(db, tmp_path / "out", "2024-03-31", STRICT_DOWN_3) == 1


def test_february_at_exactly_8_percent_and_april_clear_exit_0(db: Path, tmp_path: Path
                                                             ) -> None:
    # February's churn is 8.0%, not above 8; its strict retention has no previous
    # complete period to fall from (January starts inside the data's first day).
    assert _digest(db, tmp_path / "feb", "2024-02-29", CHURN_ABOVE_8 + STRICT_DOWN_3) == 0
    assert [a["status"] for a in _alerts(tmp_path / "feb")] == ["clear", "clear"]
    assert _digest(db, tmp_path / "apr", "2024-04-30", CHURN_ABOVE_8 + STRICT_DOWN_3) == 0
    assert [a["value"] for a in _alerts(tmp_path / "apr")] == [0.0, 100.0]


def test_a_base_below_the_minimum_is_not_checked(db: Path, tmp_path: Path) -> None:
    rules = CHURN_ABOVE_8.replace("min_base = 100", "min_base = 231")  # March's S is 230
    assert _digest(db, tmp_path / "out", "2024-03-31", rules) == 0
    assert _alerts(tmp_path / "out")[0]["status"] == "small_base"


def test_a_significant_drop_fires_on_revenue(db: Path, tmp_path: Path) -> None:
    # Compound Poisson z-test of the totals: z = (10,000 - 25,000) / sqrt(200 x 50^2 +
    # (200 x 50^2 + 30 x 500^2)) = -15,000 / 2,915.5 = -5.1, far beyond 1.96.
    rules = '[[rule]]\nmetric = "revenue"\nsignificant_drop = true\nmin_base = 30\n'
    assert _digest(db, tmp_path / "out", "2024-03-31", rules) == 1
    (alert,) = _alerts(tmp_path / "out")
    assert (alert["value"], alert["previous"], alert["base"]) == (10_000.0, 25_000.0, 200)
    # April's revenue equals March's: no drop
    assert _digest(db, tmp_path / "apr", "2024-04-30", rules) == 0


def test_default_rules_apply_without_a_rules_file(db: Path, tmp_path: Path) -> None:
    # Churn rose 5.04 pp, but lost customers 30 of 230 against 20 of 250 give z = 0.0504 /
    # sqrt(0.104 x 0.896 x (1/250 + 1/230)) = 1.81 < 1.96: not beyond its margin of error,
    # so the critical rule stays clear; strict retention -5.04 pp and the revenue drop
    # fire (warnings); this shop has no survey, so the NPS rule is not checked.
    assert [rule.metric for rule in DEFAULT_RULES] == [
        "churn_rate", "strict_retention_rate", "revenue", "nps"]
    assert _digest(db, tmp_path / "out", "2024-03-31", None) == 1
    assert [a["status"] for a in _alerts(tmp_path / "out")] == [
        "clear", "fired", "fired", "no_data"]


def test_the_state_file_suppresses_a_repeat_until_the_rule_clears(
        db: Path, tmp_path: Path, webhook: list[dict[str, str]]) -> None:
    out = tmp_path / "out"
    hook = ("--webhook-env", "DIGEST_HOOK")
    assert _digest(db, out, "2024-03-31", CHURN_ABOVE_8, *hook) == 2
    assert len(webhook) == 1 and "Churn rate: above 8%" in webhook[0]["text"]
    assert _alerts(out)[0]["new"] is True
    # the next day: still firing, already reported, so not posted again
    assert _digest(db, out, "2024-04-01", CHURN_ABOVE_8, *hook) == 2
    assert len(webhook) == 1 and _alerts(out)[0]["new"] is False
    # April clears it; March's figures firing again are reported again
    assert _digest(db, out, "2024-04-30", CHURN_ABOVE_8, *hook) == 0
    assert _digest(db, out, "2024-03-31", CHURN_ABOVE_8, *hook) == 2
    assert len(webhook) == 2


def test_a_failed_post_exits_3_with_one_sentence_and_the_files_written(
        db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    port = server.server_port
    server.server_close()  # nothing listens there any more
    monkeypatch.setenv("DIGEST_HOOK", f"http://127.0.0.1:{port}/hook")
    out = tmp_path / "out"
    assert _digest(db, out, "2024-03-31", CHURN_ABOVE_8, "--webhook-env", "DIGEST_HOOK") == 3
    error = capsys.readouterr().err
    assert error.startswith("error: The webhook post failed") and error.count("\n") == 1
    assert {"digest.md", "digest.html", "digest.json"} <= {p.name for p in out.iterdir()}
    # not reported, so the next run reports it
    assert _alerts(out)[0]["new"] is True


def test_a_webhook_address_that_is_no_web_address_exits_3(
        db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not to be read", encoding="utf-8")
    monkeypatch.setenv("DIGEST_HOOK", secret.as_uri())
    assert _digest(db, tmp_path / "out", "2024-03-31", CHURN_ABOVE_8, "--webhook-env",
                   "DIGEST_HOOK") == 3
    assert "must start with https://" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (("--as-of", "2024-03-31", "--dataset", "Nope"), "Nope"),
    (("--as-of", "2024-01-15", "--dataset", "Shop"), "No complete period"),
    (("--as-of", "2024-03-31", "--dataset", "Shop", "--webhook-env", "NO_SUCH_VARIABLE_X"),
     "NO_SUCH_VARIABLE_X"),
])
def test_errors_exit_3_with_one_sentence(db: Path, tmp_path: Path, args: tuple[str, ...],
                                         message: str, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    status = main(["--db", str(db), "digest", "--out", str(tmp_path), *args])
    error = capsys.readouterr().err
    assert status == 3
    assert error.startswith("error: ") and message in error and error.count("\n") == 1


def test_figures_are_compared_with_an_industry_and_the_users_targets(tmp_path: Path) -> None:
    # a copy of the shop, so the saved set stays out of the other tests' store
    db = tmp_path / "shop.duckdb"
    targets = write_csv(tmp_path / "targets.csv",
                        ("metric_id", "value", "unit", "period", "source", "year"),
                        [("churn_rate", "5", "% per month", "monthly", "Board plan", "2024")])
    with Store(db) as store:
        ingest_file(store, write_csv(tmp_path / "o.csv", ("customer_id", "order_date",
                                                          "amount"), shop_with_known_changes()),
                    dataset="Shop", currency="EUR")
        save_benchmarks(store, "Our targets", read_benchmark_file(targets, "Our targets"))
    assert _digest(db, tmp_path / "out", "2024-03-31", STRICT_DOWN_3, "--industry",
                   "Subscription", "--targets", "our targets") == 1
    report = json.loads((tmp_path / "out" / "digest.json").read_text(encoding="utf-8"))
    (churn,) = [line for line in report["metrics"] if line["metric_id"] == "churn_rate"]
    # data/benchmarks.csv: Recurly's monthly medians for subscription sites, 5.48% (2019)
    # and 7.02% (2017-2018); the target as saved
    assert churn["bands"] == [{"sector": "Subscription", "low": 5.48, "high": 7.02},
                              {"sector": "Our targets", "low": 5.0, "high": 5.0}]
    markdown = (tmp_path / "out" / "digest.md").read_text(encoding="utf-8")
    assert "| Subscription: 5.5% – 7.0%; Our targets: 5.0% |" in markdown
    # March's revenue, 200 orders of 50, in the data's currency
    assert "| Revenue (EUR) | 10,000.0 | 25,000.0 | -15,000.0 |" in markdown


def test_a_wrong_option_exits_3(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(db), "digest", "--dataset", "Shop", "--as-of", "31.03.2024"])
    assert exit_info.value.code == 3
    assert "“31.03.2024” is not a date" in capsys.readouterr().err


def test_the_html_escapes_the_dataset_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ("customer_id", "order_date", "amount"),
                     [(f"c{n}", day, 10) for n in range(3)
                      for day in ("2024-01-01", "2024-02-29")])
    db = tmp_path / "x.duckdb"
    with Store(db) as store:
        ingest_file(store, path, dataset="<b>Shop</b>", currency="EUR")
    assert main(["--db", str(db), "digest", "--dataset", "<b>Shop</b>", "--as-of",
                 "2024-02-29", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "digest.html").read_text(encoding="utf-8")
    assert "<b>Shop" not in page and "&lt;b&gt;Shop&lt;/b&gt;" in page
    assert "http" not in page  # self-contained: nothing to fetch
    markdown = (tmp_path / "digest.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Digest of \\<b\\>Shop\\</b\\>, 2024-02-01")


def test_the_webhook_text_makes_no_mention_or_link_of_a_name() -> None:
    alert = Alert(CHURN_RULE, "fired", 13.0, 8.0, 230, new=True)
    digest = Digest("<!channel> <https://x.example|Shop> & co", date(2024, 4, 15), "month",
                    date(2024, 3, 1), date(2024, 3, 31), date(2024, 2, 1), (), (alert,))
    text = webhook_text(digest)
    assert text.startswith("Digest of &lt;!channel&gt; &lt;https://x.example|Shop&gt; "
                           "&amp; co, 2024-03-01")
    assert "<" not in text and ">" not in text


@pytest.mark.parametrize("text, message", [
    ('[[rule]]\nmetric = "nope"\nabove = 1\n', "“nope” is not a metric"),
    ('[[rule]]\nmetric = "churn_rate"\n', "set a condition"),
    ('[[rule]]\nmetric = "churn_rate"\nabove = 1\nseverity = "loud"\n', "severity"),
    ('[[rule]]\nmetric = "churn_rate"\nabove = "8"\n', "above must be a number"),
    ('[[rule]]\nmetric = "net_revenue_retention"\nsignificant_drop = true\n',
     "no significance test"),
    ("[[rule]\n", "not valid TOML"),
])
def test_a_wrong_rule_is_one_sentence(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_rules(text)


def test_saved_rules_read_back_and_default_without_any(tmp_path: Path) -> None:
    rules = (Rule("churn_rate", "critical", above=8.0, min_base=100),
             Rule("nps", significant_drop=True, min_base=30))
    assert parse_rules(rules_toml(rules)) == rules
    path = write_csv(tmp_path / "o.csv", ("customer_id", "order_date", "amount"),
                     [("c1", "2024-01-01", 10)])
    with Store(tmp_path / "s.duckdb") as store:
        ingest_file(store, path, dataset="S", currency="EUR")
        dataset = store.dataset("S")
        assert saved_rules(store, dataset) == DEFAULT_RULES
        save_rules(store, dataset, rules)
        assert saved_rules(store, dataset) == rules


def test_deleting_a_dataset_deletes_its_alert_rules(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ("customer_id", "order_date", "amount"),
                     [("c1", "2024-01-01", 10)])
    with Store(tmp_path / "s.duckdb") as store:
        ingest_file(store, path, dataset="Kept", currency="EUR")
        ingest_file(store, path, dataset="Gone", currency="EUR")
        kept, gone = store.dataset("Kept"), store.dataset("Gone")
        save_rules(store, kept, (Rule("nps", significant_drop=True, min_base=30),))
        save_rules(store, gone, (Rule("churn_rate", above=8.0),))
        store.delete_dataset("Gone")
        assert [p.name for p in (store.root / "alert_rules").iterdir()] == [f"{kept.id}.toml"]
        assert saved_rules(store, kept) == (Rule("nps", significant_drop=True, min_base=30),)


@pytest.mark.parametrize(("lang", "now", "before", "change"), [
    ("en", "13.0%", "8.0%", "+5.0"), ("ro", "13,0%", "8,0%", "+5,0"),
    ("ru", "13,0%", "8,0%", "+5,0")])
def test_the_digest_writes_numbers_as_its_language_does(
        db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, now: str,
        before: str, change: str) -> None:
    # March's churn 30/230 = 13.04%, February's 20/250 = 8.0%: a decimal comma in ro and ru
    monkeypatch.setenv("LOYALTYLENS_LANG", lang)
    assert _digest(db, tmp_path / "out", "2024-04-15", CHURN_ABOVE_8) == 2
    text = (tmp_path / "out" / "digest.md").read_text(encoding="utf-8")
    assert now in text and before in text and change in text
