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
WITH
subscriptions AS (
    SELECT customer_id, start_date, {end_date} AS end_date, {mrr} AS mrr
    FROM {subscriptions_table}
    WHERE {customer_filter}
),
boundaries AS (
    -- the measuring day of each period (its last day, or the data's last day), from the
    -- one before the range to its last
    SELECT period_index, LEAST({period_end}, $data_last_day) AS last_day
    FROM (SELECT {period_series}) AS series
),
in_base AS (
    SELECT b.period_index, s.customer_id, SUM(s.mrr) AS mrr
    FROM boundaries AS b
    JOIN subscriptions AS s
        ON s.start_date <= b.last_day AND (s.end_date IS NULL OR s.end_date >= b.last_day)
    GROUP BY b.period_index, s.customer_id
),
mrr_kept AS (
    SELECT s.period_index + 1 AS period_index,
        100.0 * SUM(COALESCE(e.mrr, 0)) / NULLIF(SUM(s.mrr), 0) AS net_revenue_retention,
        100.0 * SUM(LEAST(COALESCE(e.mrr, 0), s.mrr)) / NULLIF(SUM(s.mrr), 0)
            AS gross_revenue_retention
    FROM in_base AS s
    LEFT JOIN in_base AS e
        ON e.customer_id = s.customer_id AND e.period_index = s.period_index + 1
    WHERE s.mrr > 0
    GROUP BY s.period_index
),
ends AS (
    SELECT period_index, COUNT(*) AS end_customers FROM in_base GROUP BY period_index
),
kept AS (
    SELECT e.period_index, COUNT(*) AS retained_customers
    FROM in_base AS e
    JOIN in_base AS s ON s.customer_id = e.customer_id AND s.period_index = e.period_index - 1
    GROUP BY e.period_index
),
arrivals AS (
    SELECT {period_of_first_start} AS period_index, COUNT(*) AS new_customers
    FROM (SELECT customer_id, MIN(start_date) AS first_start FROM subscriptions
          GROUP BY customer_id) AS firsts
    GROUP BY 1
),
base AS (
    SELECT b.period_index,
        CAST(COALESCE(e.end_customers, 0) AS BIGINT) AS end_customers,
        CAST(COALESCE(LAG(e.end_customers) OVER (ORDER BY b.period_index), 0) AS BIGINT)
            AS start_customers,
        CAST(COALESCE(k.retained_customers, 0) AS BIGINT) AS retained_customers,
        CAST(COALESCE(n.new_customers, 0) AS BIGINT) AS new_customers,
        CAST(r.net_revenue_retention AS DOUBLE) AS net_revenue_retention,
        CAST(r.gross_revenue_retention AS DOUBLE) AS gross_revenue_retention
    FROM boundaries AS b
    LEFT JOIN ends AS e ON e.period_index = b.period_index
    LEFT JOIN kept AS k ON k.period_index = b.period_index
    LEFT JOIN arrivals AS n ON n.period_index = b.period_index
    LEFT JOIN mrr_kept AS r ON r.period_index = b.period_index
)
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
