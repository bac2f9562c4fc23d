-- Simple customer lifetime value (seed; DESIGN.md "Metric definitions"), per group of
-- customers, measured over the window [$window_start, $window_end] (at most a year):
--   AOV                = revenue / orders; refunds (negative amounts) reduce revenue and
--                        are not orders;
--   purchases per year = orders / customers with a purchase in the window / years covered;
--   annual churn       = 1 - (retained / S) ^ (1 / years covered), where S = customers in
--                        the base on the day before the window ($day_before_window) and
--                        retained = those of S still in it on the window's last day: over
--                        a whole year, (S - retained) / S = 100% - strict retention;
--   lifespan           = 1 / annual churn in years, capped at $max_lifespan_years;
--   CLV                = AOV x purchases per year x lifespan x gross margin (1 if not given).
-- A customer is in the base on day t when they have a purchase in [t - W, t]: the caller
-- binds $base_at_start_from = the day before the window - W and $base_at_end_from = the
-- window's last day - W. Without a split every customer is in the one group NULL.
--
-- The CTEs filtered and customer_figures come from sql/clv_simple_customers.sql.
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/clv/simple.py; every user value is a bound $parameter.
grouped_customers AS (
    SELECT {group_value} AS group_value, c.revenue, c.orders, c.in_base_at_start,
        c.in_base_at_end
    FROM customer_figures AS c
    {group_join}
),
groups AS (
    SELECT group_value,
        SUM(CASE WHEN orders > 0 THEN 1 ELSE 0 END) AS customers,
        SUM(orders) AS orders,
        SUM(revenue) AS revenue,
        SUM(in_base_at_start) AS start_customers,
        SUM(in_base_at_start * in_base_at_end) AS retained_customers
    FROM grouped_customers
    GROUP BY group_value
    -- a group with neither a purchase in the window nor a customer at its start has no
    -- figure to show (only refunds, or customers who left long before)
    HAVING SUM(CASE WHEN orders > 0 THEN 1 ELSE 0 END) > 0 OR SUM(in_base_at_start) > 0
),
factors AS (
    SELECT group_value, customers, orders, revenue, start_customers, retained_customers,
        CAST(revenue AS DOUBLE) / NULLIF(orders, 0) AS aov,
        CAST(orders AS DOUBLE) / NULLIF(customers, 0) / $years_covered AS purchases_per_year,
        1.0 - POWER(CAST(retained_customers AS DOUBLE) / NULLIF(start_customers, 0),
                    1.0 / $years_covered) AS annual_churn
    FROM groups
),
lifespans AS (
    SELECT *,
        CASE WHEN annual_churn IS NULL THEN NULL
            WHEN annual_churn * $max_lifespan_years <= 1.0 THEN $max_lifespan_years
            ELSE 1.0 / annual_churn END AS lifespan_years,
        CASE WHEN annual_churn IS NULL THEN NULL
            ELSE annual_churn * $max_lifespan_years <= 1.0 END AS lifespan_capped
    FROM factors
)
SELECT
    group_value,
    CAST($window_start AS DATE) AS window_start,
    CAST($window_end AS DATE) AS window_end,
    CAST($years_covered AS DOUBLE) AS years_covered,
    CAST(customers AS BIGINT) AS customers,
    CAST(orders AS BIGINT) AS orders,
    CAST(revenue AS DOUBLE) AS revenue,
    aov,
    purchases_per_year,
    CAST(start_customers AS BIGINT) AS start_customers,
    CAST(retained_customers AS BIGINT) AS retained_customers,
    100.0 * annual_churn AS annual_churn_pct,
    CAST(lifespan_years AS DOUBLE) AS lifespan_years,
    lifespan_capped,
    CAST($gross_margin AS DOUBLE) AS gross_margin,
    aov * purchases_per_year * lifespan_years * COALESCE(CAST($gross_margin AS DOUBLE), 1.0)
        AS clv
FROM lifespans
ORDER BY customers DESC, group_value
