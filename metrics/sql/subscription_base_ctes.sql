-- The customer base from subscriptions, the CTEs shared by sql/subscription_base.sql
-- (the figures per period) and sql/explain_subscribers.sql (the subscribers behind
-- one period's figures); the definitions are those of sql/subscription_base.sql.
-- Placeholders in curly brackets are filled in by metrics/retention.py.
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
