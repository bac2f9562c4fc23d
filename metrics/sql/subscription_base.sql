-- The customer base from subscriptions (DESIGN.md "Metric definitions"): a customer is in
-- the base on day t when one of their subscriptions has start_date <= t and no end_date or
-- end_date >= t (the end date is the last day subscribed). Per period: S = base on the day
-- before it starts, E = base on its last day, N = customers whose first subscription starts
-- in it, retained = in the base on both days. The period the data stops inside is measured
-- on the data's last day and ends there: nothing is known of the days after it.
-- With an mrr column, MRR-based net and gross revenue retention: the customers in the base
-- on the previous period's measuring day with MRR above zero then (the starting MRR), their
-- MRR on this period's measuring day (0 once churned) ÷ the starting MRR × 100, so starting
-- MRR + expansion − contraction − churned MRR; gross caps each customer at their starting
-- MRR (no expansion). A customer's MRR on a day is the sum over their running subscriptions.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/retention.py; every user value is a bound $parameter.
-- The CTEs (subscriptions, boundaries, in_base, ..., base) are those of
-- sql/subscription_base_ctes.sql.
SELECT
    {period_start} AS period_start,
    LEAST({period_end_of_base}, $data_last_day) AS period_end,
    start_customers,
    new_customers,
    end_customers,
    retained_customers,
    start_customers + new_customers - end_customers AS churned_customers,
    start_customers - retained_customers AS lost_customers,
    100.0 * (end_customers - new_customers) / NULLIF(start_customers, 0) AS retention_rate,
    100.0 * (start_customers + new_customers - end_customers) / NULLIF(start_customers, 0)
        AS churn_rate,
    100.0 * retained_customers / NULLIF(start_customers, 0) AS strict_retention_rate,
    ({period_start} >= $data_first_day AND {period_end_of_base} <= $data_last_day) AS complete,
    net_revenue_retention,
    gross_revenue_retention
FROM base
WHERE period_index BETWEEN $first_index AND LEAST($last_index, $data_last_index)
ORDER BY period_index
