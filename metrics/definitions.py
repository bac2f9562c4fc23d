"""Every metric as data: id, label, unit, the one-line definition shown beside it and the
significance test its change between two periods gets.

The UI, the CLI, the benchmarks and the tests read these instead of repeating labels or
formulas (DESIGN.md, "Metric definitions"): the period KPIs and the counts behind them
(:data:`METRICS`, the KPI table's columns), the customer lifecycle (:data:`LIFECYCLE`) and
the survey measures NPS, CSAT and CLI (:data:`SURVEY_METRICS`); :data:`REGISTRY` holds
every entry by id. ``{inactivity_days}`` in a definition is filled with the window W in
use; :func:`metrics.significance.change_test` runs a metric's test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from metrics.i18n import N_, t

# NPS is in points (-100 to 100), CLI a score on the 1-6 scale, a ratio a plain number.
Unit = Literal["customers", "orders", "currency", "percent", "points", "score", "ratio"]
TestKind = Literal["proportion", "count", "mean", "total", "nps", "none"]
TEST_KINDS: tuple[TestKind, ...] = ("proportion", "count", "mean", "total", "nps", "none")


@dataclass(frozen=True)
class ChangeTest:
    """Which significance test a metric's change between two periods gets.

    ``kind`` is one of

    - ``"proportion"``: ``numerator`` of ``denominator`` (columns of the KPI table), the
      two-proportion z-test;
    - ``"count"``: the metric's own column counts events in the period, the conditional
      binomial test with the periods' lengths in days;
    - ``"mean"``: the metric's column is an average (AOV over the orders, CLI over the
      responses), Welch's t-test with the count in column ``count`` and the sample
      standard deviation in column ``spread``;
    - ``"total"``: the metric's column is a sum of order amounts (revenue), a z-test for a
      compound Poisson total; the sum of squares comes from ``orders``, ``revenue``,
      ``refunds`` and ``order_value_sd``;
    - ``"nps"``: the metric is a Net Promoter Score, the NPS z-test on ``numerator``
      (promoters), ``detractors`` and ``denominator`` (answers);
    - ``"none"``: not tested; ``reason`` says why, in a few words a user reads after
      "Not tested:".

    ``note`` (optional) says what exactly is tested when it is not the metric itself;
    ``summary`` (optional) names the test with what it compares, for a card's tooltip.
    """

    kind: TestKind
    numerator: str | None = None
    denominator: str | None = None
    reason: str | None = None
    note: str | None = None
    count: str | None = None
    spread: str | None = None
    detractors: str | None = None
    summary: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in TEST_KINDS:
            raise ValueError(f"unknown test kind {self.kind!r}")
        counted = self.kind in ("proportion", "nps")
        if counted != bool(self.numerator and self.denominator):
            raise ValueError("a proportion or NPS test, and only it, names numerator and "
                             "denominator")
        if (self.kind == "nps") != bool(self.detractors):
            raise ValueError("an NPS test, and only it, names its detractors")
        if (self.kind == "mean") != bool(self.count and self.spread):
            raise ValueError("a test of means, and only it, names count and spread")
        if (self.kind == "none") != bool(self.reason):
            raise ValueError("an untested metric, and only it, says why (reason)")


# A figure that only explains another (a rate's numerator, a test's input) gets no test of
# its own; it says so like an untested metric.
NO_TEST_DEFINED = N_("no test is defined for this metric")
UNTESTED = ChangeTest("none", reason=NO_TEST_DEFINED)
# Stocks are not samples: the whole base is counted, so there is no sampling error to test.
HEADCOUNT = ChangeTest("none", reason=N_("a headcount, not a sample"))
COUNT = ChangeTest("count")
# A ratio of two revenue sums over the same customers has no test of ours (it would need a
# resampling of the customers), so its change is shown untested rather than mistested.
REVENUE_RATIO = ChangeTest("none", reason=N_("a ratio of revenue sums, with no test of its own"))
# The seed CRR and churn rate are not shares of S (CRR can exceed 100%), so their changes
# are tested on the strict counts: retained (or lost) customers of S.
STRICT_NOTE = (N_("Tested on the strict counts, the customers of the base at the start (S) "
                  "still in it at the end: the classic CRR is not a share of S and can exceed "
                  "100%."))


@dataclass(frozen=True)
class Metric:
    """A metric's identity, how it is explained to a user and how its change is tested.

    ``margin_of_error`` (optional) is the formula of the 95% band drawn around it;
    ``long_label`` (optional) the name written out where ``label`` abbreviates it, for
    headings and benchmark figures.
    """

    id: str
    label: str
    unit: Unit
    definition: str
    higher_is_better: bool = True
    # The rate's denominator (a column of the same table): a zero leaves the rate undefined.
    denominator: str | None = None
    # The significance test of a change against the previous period; None: no test defined.
    test: ChangeTest | None = None
    margin_of_error: str | None = None
    long_label: str | None = None

    @property
    def name(self) -> str:
        """The metric's name written out (English; translate it where it is shown)."""
        return self.long_label or self.label

    def describe(self, inactivity_days: int | None = None) -> str:
        """The definition in the current language, with W filled in (when it has one)."""
        if inactivity_days is None:
            return t(self.definition)
        return t(self.definition, inactivity_days=inactivity_days)

    def title(self) -> str:
        return t(self.label)


KPIS: tuple[Metric, ...] = (
    Metric(
        "end_customers", N_("Customers in the base"), "customers",
        N_("Customers whose latest order, on or before the period's last day, is at most "
           "{inactivity_days} days old (E)."),
        test=HEADCOUNT,
    ),
    Metric(
        "new_customers", N_("New customers"), "customers",
        N_("Customers whose first order falls in the period (N)."),
        test=COUNT,
    ),
    Metric(
        "active_customers", N_("Active customers"), "customers",
        N_("Customers with at least one order in the period."),
        test=COUNT,
    ),
    Metric("orders", N_("Orders"), "orders",
           N_("Orders placed in the period; refunds are not orders."), test=COUNT),
    Metric(
        "revenue", N_("Revenue"), "currency",
        N_("Sum of the period's order amounts, net of refunds."),
        test=ChangeTest("total"),
    ),
    Metric("aov", N_("Avg. order value"), "currency",
           N_("Revenue ÷ orders: the average order value."),
           test=ChangeTest("mean", count="orders", spread="order_value_sd")),
    Metric(
        "repeat_purchase_rate", N_("Repeat purchase rate"), "percent",
        N_("Share of the period's active customers who have placed at least two orders by "
           "its last day."),
        denominator="active_customers",
        test=ChangeTest("proportion", numerator="repeat_customers",
                        denominator="active_customers"),
    ),
    Metric(
        "retention_rate", N_("Retention rate (CRR)"), "percent",
        N_("(E − N) ÷ S × 100: customers in the base at the end, less the new ones, over the "
           "base the day before the period began (S)."),
        denominator="start_customers",
        test=ChangeTest("proportion", numerator="retained_customers",
                        denominator="start_customers", note=STRICT_NOTE),
        long_label=N_("Customer retention rate"),
    ),
    Metric(
        "strict_retention_rate", N_("Strict retention rate"), "percent",
        N_("Customers in the base both the day before the period began and on its last day, "
           "÷ S × 100."),
        denominator="start_customers",
        test=ChangeTest("proportion", numerator="retained_customers",
                        denominator="start_customers"),
    ),
    Metric(
        "churn_rate", N_("Churn rate"), "percent",
        N_("(S + N − E) ÷ S × 100 = 100 − CRR: the base at the start plus new customers, "
           "less the base at the end, over the base at the start."),
        higher_is_better=False,
        denominator="start_customers",
        test=ChangeTest("proportion", numerator="lost_customers",
                        denominator="start_customers", note=STRICT_NOTE),
    ),
    Metric(
        "net_revenue_retention", N_("Net revenue retention"), "percent",
        N_("Revenue in the period from the customers who bought in the previous one ÷ their "
           "revenue in the previous one × 100, both net of refunds (a customer whose previous "
           "revenue was refunded in full is left out): expansion and contraction included."),
        test=REVENUE_RATIO,
    ),
    Metric(
        "gross_revenue_retention", N_("Gross revenue retention"), "percent",
        N_("As net revenue retention, with each customer's revenue in the period capped at "
           "their revenue in the previous one: what was kept, never above 100%."),
        test=REVENUE_RATIO,
    ),
)

# Counts and sums that explain the rates; listed for exports and the CLI, not shown as
# cards.
BASE_COUNTS: tuple[Metric, ...] = (
    Metric(
        "start_customers", N_("Customers in the base at the start"), "customers",
        N_("Customers in the base on the day before the period began (S)."),
        test=HEADCOUNT,
    ),
    Metric(
        "retained_customers", N_("Retained customers"), "customers",
        N_("Customers in the base both the day before the period began and on its last day."),
        test=UNTESTED,
    ),
    Metric(
        "churned_customers", N_("Churned customers"), "customers",
        N_("S + N − E: the churn rate's numerator."), higher_is_better=False,
        test=UNTESTED,
    ),
    Metric(
        "lost_customers", N_("Lost customers"), "customers",
        N_("Customers in the base the day before the period began but not on its last day "
           "(S − retained)."), higher_is_better=False,
        test=UNTESTED,
    ),
    Metric("refunds", N_("Refunds"), "currency", N_("Sum of the refunds in the period."),
           higher_is_better=False, test=UNTESTED),
    # the sums behind net and gross revenue retention (sql/kpi_piece_revenue_retention.sql)
    Metric(
        "base_revenue", N_("Previous revenue of the previous period's buyers"), "currency",
        N_("Revenue in the previous period, net of refunds, of the customers whose revenue "
           "there was above zero: the denominator of revenue retention."),
        test=UNTESTED,
    ),
    Metric(
        "retained_revenue", N_("Their revenue in this period"), "currency",
        N_("Revenue in the period, net of refunds, of the previous period's buyers: the "
           "numerator of net revenue retention."),
        test=UNTESTED,
    ),
    Metric(
        "capped_retained_revenue", N_("Their revenue in this period, capped"), "currency",
        N_("As their revenue in this period, each customer's capped at their previous "
           "revenue: the numerator of gross revenue retention."),
        test=UNTESTED,
    ),
)

# The customer lifecycle (Retention page), counted with the KPIs in one query.
LIFECYCLE_COUNTS: tuple[Metric, ...] = (
    Metric(
        "returning_customers", N_("Returning customers"), "customers",
        N_("Active customers of the period who were also active in the previous period."),
        test=UNTESTED,
    ),
    Metric(
        "resurrected_customers", N_("Resurrected customers"), "customers",
        N_("Active customers of the period who bought before, but not in the previous period."),
        test=UNTESTED,
    ),
    Metric(
        "dormant_customers", N_("Dormant customers"), "customers",
        N_("Customers active in the previous period but not in this one."),
        higher_is_better=False,
        test=UNTESTED,
    ),
)

# What the significance tests need besides the KPIs; listed for exports and the CLI.
SAMPLE_STATISTICS: tuple[Metric, ...] = (
    Metric(
        "repeat_customers", N_("Repeat customers"), "customers",
        N_("Active customers of the period who have placed at least two orders by its last day."),
        test=UNTESTED,
    ),
    Metric(
        "order_value_sd", N_("Order value spread (SD)"), "currency",
        N_("Standard deviation of the period's order amounts, refunds left out."),
        test=UNTESTED,
    ),
)

METRICS: dict[str, Metric] = {
    metric.id: metric for metric in KPIS + BASE_COUNTS + LIFECYCLE_COUNTS + SAMPLE_STATISTICS
}

# The lifecycle of the active customers as the Retention page explains it: the counts of
# the KPI table, then the ratio computed from them (metrics.retention.lifecycle_from_kpis).
QUICK_RATIO = Metric(
    "quick_ratio", N_("Quick ratio"), "ratio",
    N_("(New + resurrected customers) ÷ dormant customers: above 1 the active customers grow."),
    test=UNTESTED,
)
LIFECYCLE: tuple[Metric, ...] = (METRICS["new_customers"], *LIFECYCLE_COUNTS, QUICK_RATIO)

# The survey measures (Satisfaction page), one row per period of metrics.satisfaction's
# tables; their tests use the columns of those tables. Seed: "Ce este loialitatea
# clienților? 5 moduri de a construi o cultură loială", 2022.
SURVEY: tuple[Metric, ...] = (
    Metric(
        "nps", N_("NPS"), "points",
        N_("NPS = % promoters (9-10) − % detractors (0-6) of the answers on the 0-10 scale, "
           "from −100 to 100. By period, every answer counts in its period (a customer who "
           "answered twice counts twice)."),
        denominator="responses",
        test=ChangeTest("nps", numerator="promoters", detractors="detractors",
                        denominator="responses",
                        summary=N_("NPS z-test on the promoters and detractors of the two "
                                   "periods"),
                        note=N_("The change against the previous period is tested with a "
                                "z-test of the two NPS (variance (pP + pD − (pP − pD)²) ÷ n "
                                "each), at the 5% level.")),
        margin_of_error=N_("1.96 × √((pP + pD − (pP − pD)²) ÷ n) × 100"),
        long_label=N_("Net Promoter Score"),
    ),
    Metric(
        "csat", N_("CSAT"), "percent",
        N_("CSAT = share of the answers on the 1-5 scale that are 4 or 5."),
        denominator="responses",
        test=ChangeTest("proportion", numerator="satisfied", denominator="responses",
                        summary=N_("two-proportion z-test on the 4-5 answers")),
        margin_of_error=N_("1.96 × √(p (1 − p) ÷ n) × 100"),
        long_label=N_("Customer satisfaction (CSAT)"),
    ),
    Metric(
        "cli", N_("CLI"), "score",
        N_("CLI = mean of the three 1-6 answers (would recommend, would buy again, would try "
           "other products); a response counts when it answers all three."),
        test=ChangeTest("mean", count="responses", spread="cli_sd",
                        summary=N_("Welch's t-test on the responses' CLIs")),
        margin_of_error=N_("1.96 × SD ÷ √n"),
        long_label=N_("Customer loyalty index (CLI)"),
    ),
)

# NPS over a whole date range, not per period: one figure, so no change to test.
WHOLE_RANGE = ChangeTest("none", reason=N_("one figure for the whole date range"))
SURVEY_SUMMARIES: tuple[Metric, ...] = (
    Metric(
        "nps_overall", N_("NPS, whole range"), "points",
        N_("Every answer in the date range (whole periods) counts, as in the NPS by period; "
           "the margin of error is the 95% one of the NPS by period."),
        denominator="responses", test=WHOLE_RANGE,
        margin_of_error=N_("1.96 × √((pP + pD − (pP − pD)²) ÷ n) × 100"),
    ),
    Metric(
        "nps_latest", N_("NPS, latest answers"), "points",
        N_("Each customer counts once, with their latest answer in the date range; answers "
           "without a customer id each count on their own."),
        denominator="responses", test=WHOLE_RANGE,
        margin_of_error=N_("1.96 × √((pP + pD − (pP − pD)²) ÷ n) × 100"),
    ),
)

# The RFM view (Segments page), one row per RFM segment of metrics.rfm.rfm_summary over the
# selection's whole periods. One figure per segment for the whole window, not per period:
# no change to test.
RFM_WINDOW = ChangeTest("none", reason=N_("one figure per segment for the whole date range"))
RFM_FIGURES: tuple[Metric, ...] = (
    Metric("rfm_customers", N_("Customers of the segment"), "customers",
           N_("Customers with a purchase in the selection whose R, F and M scores fall in the "
              "segment."), test=RFM_WINDOW),
    Metric("rfm_share", N_("Share of customers"), "percent",
           N_("The segment's customers ÷ every customer with a purchase in the selection × 100."),
           test=RFM_WINDOW),
    Metric("rfm_revenue", N_("Revenue of the segment"), "currency",
           N_("Net revenue (refunds subtracted) of the segment's customers in the selection."),
           test=RFM_WINDOW),
    Metric("rfm_revenue_share", N_("Share of revenue"), "percent",
           N_("The segment's revenue ÷ the revenue of every customer with a purchase in the "
              "selection × 100."), test=RFM_WINDOW),
    Metric("rfm_avg_recency_days", N_("Avg. days since last purchase"), "ratio",
           N_("The mean, over the segment's customers, of the days from their last purchase "
              "to the reference day."), higher_is_better=False, test=RFM_WINDOW),
    Metric("rfm_avg_frequency", N_("Avg. purchase days"), "ratio",
           N_("The mean, over the segment's customers, of their days with a purchase in the "
              "selection."), test=RFM_WINDOW),
    Metric("rfm_avg_monetary", N_("Avg. revenue per customer"), "currency",
           N_("The segment's revenue ÷ its customers."), test=RFM_WINDOW),
)

# The segment comparison (Segments page), one row per value of a segment of
# metrics.segments.segment_summary: each figure over the selection with the segment filter
# set to the value. One figure per value for the whole window, not per period.
SEGMENT_WINDOW = ChangeTest("none", reason=N_("one figure per segment value for the whole "
                                              "date range"))
SEGMENT_FIGURES: tuple[Metric, ...] = (
    Metric("segment_customers", N_("Customers with a purchase"), "customers",
           N_("Customers of the segment value with a purchase (an order of 0 or more) in the "
              "selection."), test=SEGMENT_WINDOW),
    Metric("segment_orders", N_("Purchases"), "orders",
           N_("The purchases of those customers in the selection; refunds are not purchases."),
           test=SEGMENT_WINDOW),
    Metric("segment_revenue", N_("Revenue of the segment value"), "currency",
           N_("Net revenue (refunds subtracted) of the segment value in the selection."),
           test=SEGMENT_WINDOW),
    Metric("segment_retention_rate", N_("Retention rate (CRR), pooled"), "percent",
           N_("The CRR pooled over the selection's complete periods: Σ(E − N) ÷ ΣS × 100, "
              "with W = {inactivity_days} days."), test=SEGMENT_WINDOW),
    Metric("segment_aov", N_("AOV of the segment value"), "currency",
           N_("Revenue ÷ purchases of the segment value in the selection."), test=SEGMENT_WINDOW),
    Metric("segment_repeat_purchase_rate", N_("Repeat purchase rate of the segment value"),
           "percent",
           N_("Customers with two or more purchases in the selection ÷ customers with one or "
              "more × 100."), test=SEGMENT_WINDOW),
    Metric("segment_annual_churn", N_("Annual churn"), "percent",
           N_("1 − r ^ (periods per year) × 100, r = Σretained ÷ ΣS, the strict retention "
              "pooled over the selection's complete periods."), higher_is_better=False,
           test=SEGMENT_WINDOW),
    Metric("segment_clv", N_("Simple CLV of the segment value"), "currency",
           N_("AOV × purchases per customer per year (over the selection's days) × lifespan "
              "(1 ÷ annual churn, at most 10 years): the revenue CLV."), test=SEGMENT_WINDOW),
)

# What the Satisfaction page's charts draw besides NPS, CSAT and CLI: the NPS mix per
# period (metrics.satisfaction.nps_mix), the answers per score and the NPS per segment value
# over the whole range, and what each NPS group buys in the months after answering.
NPS_MIX: tuple[Metric, ...] = (
    Metric("promoter_share", N_("Promoters (%)"), "percent",
           N_("Share of the period's 0-10 answers that are 9 or 10."), denominator="responses",
           test=ChangeTest("proportion", numerator="promoters", denominator="responses",
                           summary=N_("two-proportion z-test on the promoters"))),
    Metric("passive_share", N_("Passives (%)"), "percent",
           N_("Share of the period's 0-10 answers that are 7 or 8."), denominator="responses",
           higher_is_better=False,
           test=ChangeTest("proportion", numerator="passives", denominator="responses",
                           summary=N_("two-proportion z-test on the passives"))),
    Metric("detractor_share", N_("Detractors (%)"), "percent",
           N_("Share of the period's 0-10 answers that are 0 to 6."), denominator="responses",
           higher_is_better=False,
           test=ChangeTest("proportion", numerator="detractors", denominator="responses",
                           summary=N_("two-proportion z-test on the detractors"))),
)
# The CLI chart's dotted lines: each question's mean over the responses the CLI counts.
QUESTION_MEAN = ChangeTest("none", reason=N_("one question of the CLI, whose change is tested"))
CLI_QUESTION_MEANS: tuple[Metric, ...] = (
    Metric("cli_recommend", N_("Would recommend (mean)"), "score",
           N_("The mean 1-6 answer to “would you recommend us?” of the period's responses "
              "that answer all three CLI questions."), test=QUESTION_MEAN),
    Metric("cli_buy_again", N_("Would buy again (mean)"), "score",
           N_("The mean 1-6 answer to “would you buy from us again?” of the period's responses "
              "that answer all three CLI questions."), test=QUESTION_MEAN),
    Metric("cli_other_products", N_("Would try other products (mean)"), "score",
           N_("The mean 1-6 answer to “would you try our other products?” of the period's "
              "responses that answer all three CLI questions."), test=QUESTION_MEAN),
)
SURVEY_FIGURES: tuple[Metric, ...] = (
    *NPS_MIX,
    *CLI_QUESTION_MEANS,
    Metric("score_answers", N_("Answers with the score"), "customers",
           N_("The 0-10 answers of the date range that gave this score; every answer counts."),
           test=WHOLE_RANGE),
    Metric("score_share", N_("Share of the answers"), "percent",
           N_("The answers that gave this score ÷ every 0-10 answer of the date range × 100."),
           test=WHOLE_RANGE),
    Metric("nps_segment", N_("NPS of the segment value"), "points",
           N_("NPS of the answers of the date range whose response, or customer, has the "
              "segment value; every answer counts."), denominator="responses", test=WHOLE_RANGE,
           margin_of_error=N_("1.96 × √((pP + pD − (pP − pD)²) ÷ n) × 100")),
    Metric("behaviour_ordered_again", N_("Ordered again (%)"), "percent",
           N_("Answers of the group whose customer placed an order in the months after the "
              "answer ÷ the answers followed that long (customer in the orders, window ended "
              "by the last order day) × 100."), test=WHOLE_RANGE),
    Metric("behaviour_revenue_per_answer", N_("Net revenue per answer"), "currency",
           N_("Net revenue (refunds subtracted) of the group's customers in the months after "
              "each answer ÷ the answers followed that long."), test=WHOLE_RANGE),
)

SURVEY_METRICS: dict[str, Metric] = {metric.id: metric for metric in SURVEY + SURVEY_SUMMARIES}

# The Segments page's loyalty views (metrics/loyalty.py) and the retention uplift simulator
# (metrics/simulator.py): figures over the whole date range for one group of a view (a
# loyalty type, members or non-members, a product pair, a segment value), the upsell per
# period, and the simulator's years. They are compared between groups, not periods.
LOYALTY_GROUPS = ChangeTest("none", reason=N_("compared between groups over the whole range"))
PER_PERIOD_VIEW = ChangeTest("none", reason=N_("a table per period, with no change shown"))
PROJECTION = ChangeTest("none", reason=N_("a projection of a model, not a measurement"))
LOYALTY: tuple[Metric, ...] = (
    Metric("loyalty_type_customers", N_("Customers of the type"), "customers",
           N_("Customers with a purchase in the date range whose purchases give them this "
              "loyalty type."), test=LOYALTY_GROUPS),
    Metric("loyalty_type_share", N_("Share of customers"), "percent",
           N_("The type's customers ÷ every customer with a purchase in the date range × 100."),
           test=LOYALTY_GROUPS),
    Metric("loyalty_type_retention", N_("Type's customers still in the base"), "percent",
           N_("The type's customers whose latest purchase is at most {inactivity_days} days "
              "before the range's last day ÷ the type's customers × 100."),
           test=LOYALTY_GROUPS),
    Metric("loyalty_type_purchase_frequency", N_("Type's purchases per customer"), "ratio",
           N_("The type's purchases in the date range ÷ the type's customers."),
           test=LOYALTY_GROUPS),
    Metric("loyalty_type_aov", N_("Type's average order value"), "currency",
           N_("The type's revenue in the date range, refunds subtracted, ÷ their purchases."),
           test=LOYALTY_GROUPS),
    Metric("loyalty_type_revenue_per_customer", N_("Type's revenue per customer"), "currency",
           N_("The type's revenue in the date range, refunds subtracted, ÷ the type's "
              "customers: what a customer of the type has brought so far."),
           test=LOYALTY_GROUPS),
    Metric("upsell_ratio", N_("Upsell ratio"), "ratio",
           N_("Customers who have bought more than one product ÷ customers who have bought "
              "exactly one, among the customers with a purchase in the period."),
           test=PER_PERIOD_VIEW),
    Metric("upsell_active_customers", N_("Customers with a purchase naming a product"),
           "customers",
           N_("Customers with a purchase in the period whose order names a product."),
           test=PER_PERIOD_VIEW),
    Metric("upsell_one_product_customers", N_("Customers with one product"), "customers",
           N_("Customers with a purchase in the period who have bought exactly one distinct "
              "product from their first purchase to the period's last day."),
           test=PER_PERIOD_VIEW),
    Metric("upsell_several_products_customers", N_("Customers with several products"),
           "customers",
           N_("Customers with a purchase in the period who have bought two or more distinct "
              "products from their first purchase to the period's last day."),
           test=PER_PERIOD_VIEW),
    Metric("next_product_customers", N_("Customers with the pair"), "customers",
           N_("Customers whose first purchase day, in the date range, held the first product "
              "and whose second purchase day held the next one."), test=LOYALTY_GROUPS),
    Metric("next_product_share", N_("Share who bought the next product"), "percent",
           N_("Customers with the pair ÷ the customers whose first purchase held the first "
              "product and who came back × 100."), test=LOYALTY_GROUPS),
    Metric("first_product_customers", N_("New customers with the first product"), "customers",
           N_("Customers whose first purchase day falls in the date range and held the "
              "product."), test=LOYALTY_GROUPS),
    Metric("first_product_returning", N_("Came back after the first product"), "customers",
           N_("Of the new customers with the first product, those with a second purchase day "
              "by the range's last day."), test=LOYALTY_GROUPS),
    Metric("programme_customers", N_("Customers of the group"), "customers",
           N_("Members (or non-members) with a purchase in the date range."),
           test=LOYALTY_GROUPS),
    Metric("programme_retention", N_("Group's customers still in the base"), "percent",
           N_("The group's customers whose latest purchase is at most {inactivity_days} days "
              "before the range's last day ÷ the group's customers × 100."),
           test=LOYALTY_GROUPS),
    Metric("programme_purchase_frequency", N_("Group's purchases per customer"), "ratio",
           N_("The group's purchases in the date range ÷ the group's customers."),
           test=LOYALTY_GROUPS),
    Metric("programme_aov", N_("Group's average order value"), "currency",
           N_("The group's revenue in the date range, refunds subtracted, ÷ their purchases."),
           test=LOYALTY_GROUPS),
    Metric("programme_revenue_per_customer", N_("Group's revenue per customer"), "currency",
           N_("The group's revenue in the date range, refunds subtracted, ÷ the group's "
              "customers (the CLV to date)."), test=LOYALTY_GROUPS),
    Metric("redemption_rate", N_("Redemption rate"), "percent",
           N_("Of the members' purchases in the date range, the share with points redeemed "
              "(× 100)."), test=LOYALTY_GROUPS),
    Metric("redeemers_share", N_("Members who redeemed"), "percent",
           N_("Of the members with a purchase in the date range, the share who redeemed "
              "points on at least one (× 100)."), test=LOYALTY_GROUPS),
    Metric("redeemed_purchases", N_("Members' purchases with points"), "orders",
           N_("Purchases of members in the date range with points redeemed."),
           test=LOYALTY_GROUPS),
    Metric("enrolment_share", N_("Enrolment"), "percent",
           N_("Members among the segment value's customers with a purchase in the date range "
              "÷ those customers × 100."), test=LOYALTY_GROUPS),
    Metric("enrolment_members", N_("Members of the segment value"), "customers",
           N_("Members among the segment value's customers with a purchase in the date range."),
           test=LOYALTY_GROUPS),
    Metric("enrolment_customers", N_("Customers of the segment value"), "customers",
           N_("The segment value's customers with a purchase in the date range."),
           test=LOYALTY_GROUPS),
    Metric("points_aov", N_("Average order value, with or without points"), "currency",
           N_("Revenue of the date range's orders with (or without) points redeemed, refunds "
              "subtracted, ÷ those purchases."), test=LOYALTY_GROUPS),
    Metric("points_purchases", N_("Purchases with or without points"), "orders",
           N_("Purchases in the date range with (or without) points redeemed."),
           test=LOYALTY_GROUPS),
    Metric("points_revenue", N_("Revenue with or without points"), "currency",
           N_("Revenue of the date range's orders with (or without) points redeemed, refunds "
              "subtracted."), test=LOYALTY_GROUPS),
    Metric("simulated_retention_rate", N_("Simulated annual retention"), "percent",
           N_("Today's annual retention (of the base a year ago, the share still in it) plus "
              "the scenario's gain, at most 99%."), test=PROJECTION),
    Metric("simulated_customers", N_("Simulated customers in the base"), "customers",
           N_("The base a year before × the annual retention + the customers joining a year "
              "as today."), test=PROJECTION),
    Metric("simulated_revenue", N_("Simulated revenue"), "currency",
           N_("The year's average base × today's revenue per customer a year."),
           test=PROJECTION),
    Metric("simulated_gross_profit", N_("Simulated gross profit"), "currency",
           N_("The year's simulated revenue × the gross margin."), test=PROJECTION),
    Metric("simulated_programme_cost", N_("Programme cost a year"), "currency",
           N_("What the loyalty programme costs a year in the scenario, as entered."),
           higher_is_better=False, test=PROJECTION),
    Metric("simulated_profit", N_("Simulated profit"), "currency",
           N_("The year's simulated gross profit − the programme cost a year."),
           test=PROJECTION),
    Metric("simulated_profit_uplift", N_("Profit uplift"), "percent",
           N_("(The scenario's profit − the profit with today's retention) ÷ the latter × 100, "
              "in the same year."), test=PROJECTION),
    Metric("simulated_cumulative_profit_uplift", N_("Cumulative profit uplift"), "percent",
           N_("As the profit uplift, for the profit summed from year 1 to the year."),
           test=PROJECTION),
    Metric("simulated_clv", N_("Simulated CLV per customer"), "currency",
           N_("Gross margin × today's revenue per customer a year × the expected lifetime "
              "1 ÷ (1 − annual retention), at most 10 years."), test=PROJECTION),
    Metric("baseline_joining_per_year", N_("Customers joining the base a year"), "customers",
           N_("Customers in the base at the end of the last 12 months who were not in it at "
              "their start, a year."), test=PROJECTION),
    Metric("baseline_revenue_per_customer", N_("Revenue per customer a year"), "currency",
           N_("The last 12 months' revenue, refunds subtracted, ÷ the average of the base at "
              "their start and end."), test=PROJECTION),
)

# The cohort cells of the Retention page (metrics.retention.cohort_table): cohort c = the
# period of a customer's first purchase, cell (c, k) = period c + k (DESIGN.md "Metric
# definitions"). A cell is one cohort's figure at one age, not a period's sample of the
# customers, so its change between periods has no test.
COHORT_CELL = ChangeTest("none", reason=N_("a cohort's figure at one age, not a period's sample"))
COHORT_CELLS: tuple[Metric, ...] = (
    Metric(
        "cohort_retention", N_("Cohort retention"), "percent",
        N_("Customers of the cohort with a purchase in period c + k ÷ the cohort's size × 100."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_unbounded_retention", N_("Cohort retention, unbounded"), "percent",
        N_("Customers of the cohort whose last purchase in the date range falls in period c + k "
           "or later ÷ the cohort's size × 100: never rises with k."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_revenue_retention", N_("Cohort revenue retention"), "percent",
        N_("The cohort's revenue in period c + k ÷ its revenue in its first period × 100, both "
           "net of refunds."),
        test=COHORT_CELL,
    ),
    Metric(
        "cumulative_revenue_per_customer", N_("Cumulative revenue per customer"), "currency",
        N_("The cohort's revenue from its first period to period c + k, net of refunds, ÷ the "
           "cohort's size."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_size", N_("Cohort size"), "customers",
        N_("Customers whose first purchase (refunds are not purchases) falls in the cohort's "
           "period c."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_active_customers", N_("Active customers of the cohort"), "customers",
        N_("Customers of the cohort with at least one purchase in period c + k."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_active_or_later", N_("Cohort customers active then or later"), "customers",
        N_("Customers of the cohort whose last purchase in the date range falls in period "
           "c + k or later."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_revenue", N_("Cohort revenue"), "currency",
        N_("The cohort's revenue in period c + k, net of refunds."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_first_period_revenue", N_("Cohort revenue in its first period"), "currency",
        N_("The cohort's revenue in its first period c, net of refunds: the base of revenue "
           "retention."),
        test=COHORT_CELL,
    ),
)

# The heatmap's average row and the curves' dashed line (metrics.retention.cohort_average):
# per period since acquisition k, over the cohorts that have completed period c + k.
COHORT_AVERAGES: tuple[Metric, ...] = (
    Metric(
        "cohort_average_retention", N_("Average cohort retention"), "percent",
        N_("Over every cohort that has completed period c + k: their customers with a purchase "
           "in it ÷ their sizes × 100, so each cohort weighs by its size."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_average_unbounded_retention", N_("Average cohort retention, unbounded"),
        "percent",
        N_("Over every cohort that has completed period c + k: their customers whose last "
           "purchase in the date range falls in it or later ÷ their sizes × 100."),
        test=COHORT_CELL,
    ),
    Metric(
        "cohort_average_revenue_retention", N_("Average cohort revenue retention"), "percent",
        N_("Over every cohort that has completed period c + k: their revenue in it ÷ their "
           "revenue in their first periods × 100, so each cohort weighs by its first revenue."),
        test=COHORT_CELL,
    ),
)

# The survival curve of the Retention page (metrics.survival.kaplan_meier): a figure at an
# age of the customers, not per period.
SURVIVAL: tuple[Metric, ...] = (
    Metric(
        "survival", N_("Survival"), "percent",
        N_("Kaplan-Meier estimate of the share of the customers followed still in the base t "
           "days after they joined: each day someone left multiplies it by (1 − those who left "
           "÷ those still followed); customers still in the base when the data ends count "
           "until then."),
        test=ChangeTest("none", reason=N_("a curve over the customers' age, not per period")),
    ),
)

# Customer lifetime value and acquisition cost (CLV page; metrics.clv). The simple CLV and
# its factors are one figure for the 12 months of their window, the predictions a model's
# per customer: neither is a period's sample whose change could be tested.
CLV_WINDOW = ChangeTest("none", reason=N_("one figure for the last 12 months of the range"))
PREDICTION = ChangeTest("none", reason=N_("a model's prediction, not a measured sample"))
CLV: tuple[Metric, ...] = (
    Metric(
        "clv_simple", N_("Simple CLV"), "currency",
        N_("Average order value × purchases per year × expected lifespan in years (1 ÷ annual "
           "churn, at most 10 years), × the gross margin when given, over the last 12 months "
           "of the date range."),
        test=CLV_WINDOW, long_label=N_("Customer lifetime value (simple)"),
    ),
    Metric(
        "clv_aov", N_("AOV of the CLV window"), "currency",
        N_("Revenue ÷ orders over the CLV's 12 months: refunds reduce the revenue and are not "
           "orders."),
        test=CLV_WINDOW,
    ),
    Metric(
        "clv_purchases_per_year", N_("Purchases per year"), "ratio",
        N_("Orders ÷ customers who bought in the CLV's 12 months, per year (annualised when "
           "the window is shorter)."),
        test=CLV_WINDOW,
    ),
    Metric(
        "clv_annual_churn", N_("Annual churn"), "percent",
        N_("1 − (retained ÷ S)^(1 ÷ years): the share of the customers in the base the day "
           "before the CLV's window (S) who are no longer in it on its last day, per year, "
           "i.e. 100 − strict retention over the 12 months."),
        higher_is_better=False, test=CLV_WINDOW,
    ),
    Metric(
        "clv_lifespan", N_("Expected lifespan (years)"), "ratio",
        N_("1 ÷ annual churn, in years, capped at 10 years when (almost) no one churns."),
        test=CLV_WINDOW,
    ),
    Metric(
        "clv_gross_margin", N_("Gross margin"), "ratio",
        N_("The share of revenue kept as profit, as entered (0 to 1); none: the CLV is "
           "revenue."),
        test=ChangeTest("none", reason=N_("a setting, not a measurement")),
    ),
    Metric(
        "clv_historic", N_("Historic CLV"), "currency",
        N_("Net revenue (refunds subtracted) a monthly cohort's customers brought from their "
           "first purchase to the end of the k-th month after it, ÷ the cohort's customers."),
        test=ChangeTest("none", reason=N_("a running total of one cohort, not a sample")),
    ),
    Metric(
        "clv_predicted", N_("Predicted CLV"), "currency",
        N_("A customer's expected purchases in each month of the horizon (BG/NBD, Fader, "
           "Hardie & Lee 2005) × expected spend per purchase (Gamma-Gamma, Fader & Hardie "
           "2013), discounted to today."),
        test=PREDICTION,
    ),
    Metric(
        "clv_expected_purchases", N_("Expected purchases"), "orders",
        N_("A customer's expected repeat purchase days over the horizon (BG/NBD, Fader, "
           "Hardie & Lee 2005, eq. 10), undiscounted."),
        test=PREDICTION,
    ),
    Metric(
        "clv_probability_alive", N_("P(alive)"), "ratio",
        N_("The probability, from 0 to 1, that a customer is still a customer at the "
           "calibration end (BG/NBD, Fader, Hardie & Lee 2005, eq. 11)."),
        test=PREDICTION,
    ),
    Metric(
        "clv_predicted_total", N_("Predicted CLV, all customers"), "currency",
        N_("Every customer's predicted CLV over the horizon, added up."),
        test=PREDICTION,
    ),
    Metric(
        "clv_predicted_mean", N_("Average per customer"), "currency",
        N_("Every customer's predicted CLV over the horizon, added up, ÷ the customers."),
        test=PREDICTION, long_label=N_("Average predicted CLV per customer"),
    ),
    Metric(
        "clv_expected_purchases_total", N_("Expected purchases, all customers"), "orders",
        N_("Every customer's expected repeat purchase days over the horizon, added up."),
        test=PREDICTION,
    ),
    Metric(
        "clv_probability_alive_mean", N_("Average P(alive)"), "percent",
        N_("The customers' probabilities of still being customers at the calibration end, "
           "averaged, in percent."),
        test=PREDICTION,
    ),
    Metric(
        "clv_holdout_actual", N_("Actual repeat purchases"), "orders",
        N_("Repeat purchase days in a week after the calibration end of the customers "
           "acquired before it (a customer's orders on one day are one purchase)."),
        test=ChangeTest("none", reason=N_("compared with the model, not with another week")),
    ),
    Metric(
        "clv_holdout_predicted", N_("Predicted repeat purchases"), "orders",
        N_("The purchase model's expected repeat purchases in a week after the calibration "
           "end, summed over the customers acquired before it."),
        test=PREDICTION,
    ),
    Metric(
        "cac_spend", N_("Marketing spend"), "currency",
        N_("The marketing spend dated in the period, of the channel or of all channels."),
        higher_is_better=False,
        test=ChangeTest("none", reason=N_("a total of spend lines, not a sample")),
    ),
    Metric(
        "cac_new_customers", N_("Acquired customers"), "customers",
        N_("Customers whose first purchase (refunds are not purchases) falls in the period, of "
           "the channel they were acquired through or of all channels."),
        test=HEADCOUNT,
    ),
    Metric(
        "cac", N_("CAC"), "currency",
        N_("Customer acquisition cost: marketing spend ÷ customers acquired, per period and "
           "channel."),
        higher_is_better=False,
        test=ChangeTest("none", reason=N_("a ratio of spend to customers, with no test of its "
                                          "own")),
        long_label=N_("Customer acquisition cost"),
    ),
    Metric(
        "clv_cac", N_("CLV:CAC"), "ratio",
        N_("The channel's simple CLV ÷ its CAC over the periods of the range with known spend; "
           "3:1 is the common rule of thumb."),
        test=ChangeTest("none", reason=N_("one figure for the whole date range")),
    ),
)

# "Why did it move?" (metrics/drivers.py): a rate KPI's change between two periods split by
# the values of a segment, one row per value of drivers' records (the column is the id
# without "driver_"). Shares are fractions of the metric's weight (S, active customers,
# orders, answers); rates and effects are in the KPI's own unit, so "ratio" here.
DRIVER_PART = ChangeTest("none", reason=N_("a part of one change between two periods"))
DRIVER_FIGURES: tuple[Metric, ...] = (
    Metric("driver_share_before", N_("Share before"), "ratio",
           N_("The segment value's share of the KPI's weight (S for retention and churn, the "
              "active customers, the orders, the answers) in the earlier period."),
           test=DRIVER_PART),
    Metric("driver_share_after", N_("Share after"), "ratio",
           N_("The segment value's share of the KPI's weight in the later period."),
           test=DRIVER_PART),
    Metric("driver_rate_before", N_("Rate before"), "ratio",
           N_("The KPI over the segment value's customers (or answers) in the earlier period."),
           test=DRIVER_PART),
    Metric("driver_rate_after", N_("Rate after"), "ratio",
           N_("The KPI over the segment value's customers (or answers) in the later period."),
           test=DRIVER_PART),
    Metric("driver_mix_effect", N_("Mix effect"), "ratio",
           N_("(share after − share before) × (rate before + rate after) ÷ 2: the change the "
              "shift in the value's share makes (Kitagawa)."), test=DRIVER_PART),
    Metric("driver_rate_effect", N_("Rate effect"), "ratio",
           N_("(rate after − rate before) × (share before + share after) ÷ 2: the change the "
              "value's own rate makes (Kitagawa)."), test=DRIVER_PART),
    Metric("driver_contribution", N_("Contribution"), "ratio",
           N_("Mix effect + rate effect: the value's part of the KPI's change; the parts of "
           "all values add up to the change."), test=DRIVER_PART),
)

# Every entry of the registry, for checks that walk all of them.
ALL_METRICS: tuple[Metric, ...] = (
    KPIS + BASE_COUNTS + LIFECYCLE_COUNTS + SAMPLE_STATISTICS + (QUICK_RATIO,) + SURVEY
    + SURVEY_SUMMARIES + COHORT_CELLS + COHORT_AVERAGES + SURVIVAL + CLV
    + LOYALTY
    + RFM_FIGURES + SEGMENT_FIGURES + SURVEY_FIGURES
    + DRIVER_FIGURES
)
# Every entry by id.
REGISTRY: dict[str, Metric] = {metric.id: metric for metric in ALL_METRICS}

CRR_EXPLANATION = (
    N_("The classic formula CRR = (E − N) ÷ S counts customers who had left the base and came "
       "back during the period as retained, so it can exceed 100%. The strict retention rate "
       "only counts customers who were in the base at both ends of the period. Whether a "
       "change in CRR or churn is significant is therefore tested on the strict counts: "
       "customers retained of S.")
)
