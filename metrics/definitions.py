"""Every metric as data: id, label, unit and the one-line definition shown beside it.

The UI, the CLI and the tests read these instead of repeating labels or formulas
(DESIGN.md, "Metric definitions"). ``{inactivity_days}`` in a definition is filled with
the window W in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from metrics.i18n import t

Unit = Literal["customers", "orders", "currency", "percent"]


@dataclass(frozen=True)
class Metric:
    """A metric's identity and how it is explained to a user."""

    id: str
    label: str
    unit: Unit
    definition: str
    higher_is_better: bool = True
    # The metric is a share of ``denominator`` (a column of the same table), so a change
    # between periods can be tested as a difference of two proportions.
    denominator: str | None = None

    def describe(self, inactivity_days: int) -> str:
        """The definition in the current language, with W filled in."""
        return t(self.definition, inactivity_days=inactivity_days)

    def title(self) -> str:
        return t(self.label)


KPIS: tuple[Metric, ...] = (
    Metric(
        "end_customers", "Customers in the base", "customers",
        "Customers whose latest order, on or before the period's last day, is at most "
        "{inactivity_days} days old (E).",
    ),
    Metric(
        "new_customers", "New customers", "customers",
        "Customers whose first order falls in the period (N).",
    ),
    Metric(
        "active_customers", "Active customers", "customers",
        "Customers with at least one order in the period.",
    ),
    Metric("orders", "Orders", "orders", "Orders placed in the period; refunds are not orders."),
    Metric(
        "revenue", "Revenue", "currency",
        "Sum of the period's order amounts, net of refunds.",
    ),
    Metric("aov", "Avg. order value", "currency", "Revenue ÷ orders: the average order value."),
    Metric(
        "repeat_purchase_rate", "Repeat purchase rate", "percent",
        "Share of the period's active customers who have placed at least two orders by "
        "its last day.",
        denominator="active_customers",
    ),
    Metric(
        "retention_rate", "Retention rate (CRR)", "percent",
        "(E − N) ÷ S × 100: customers in the base at the end, less the new ones, over the "
        "base the day before the period began (S).",
        denominator="start_customers",
    ),
    Metric(
        "strict_retention_rate", "Strict retention rate", "percent",
        "Customers in the base both the day before the period began and on its last day, "
        "÷ S × 100.",
        denominator="start_customers",
    ),
    Metric(
        "churn_rate", "Churn rate", "percent",
        "(S + N − E) ÷ S × 100 = 100 − CRR: the base at the start plus new customers, "
        "less the base at the end, over the base at the start.",
        higher_is_better=False,
        denominator="start_customers",
    ),
)

# Counts that explain the rates; listed for exports and the CLI, not shown as cards.
BASE_COUNTS: tuple[Metric, ...] = (
    Metric(
        "start_customers", "Customers in the base at the start", "customers",
        "Customers in the base on the day before the period began (S).",
    ),
    Metric(
        "retained_customers", "Retained customers", "customers",
        "Customers in the base both the day before the period began and on its last day.",
    ),
    Metric(
        "churned_customers", "Churned customers", "customers",
        "S + N − E: the churn rate's numerator.", higher_is_better=False,
    ),
    Metric(
        "lost_customers", "Lost customers", "customers",
        "Customers in the base the day before the period began but not on its last day "
        "(S − retained).", higher_is_better=False,
    ),
    Metric("refunds", "Refunds", "currency", "Sum of the refunds in the period.",
           higher_is_better=False),
)

METRICS: dict[str, Metric] = {metric.id: metric for metric in KPIS + BASE_COUNTS}

CRR_EXPLANATION = (
    "The seed formula CRR = (E − N) ÷ S counts customers who had left the base and came "
    "back during the period as retained, so it can exceed 100%. The strict retention rate "
    "only counts customers who were in the base at both ends of the period."
)
