-- Net and gross revenue retention per period (DESIGN.md "Metric definitions"), a KPI
-- piece: its last CTE, revenue_retention, gives one row per period_index with columns named
-- by their metric ids; metrics/kpis.py places it before sql/kpi_rows.sql in both KPI
-- queries (over the orders and from the stored history), which joins it by period.
--
-- The retained cohort of period p: the customers whose revenue in p - 1, net of refunds
-- as the KPI table's revenue is, is above zero. NRR = their revenue in p ÷ their revenue
-- in p - 1 × 100 (expansion and contraction included; a refund in p lowers it); GRR the
-- same with each customer's revenue in p capped at their revenue in p - 1, so never above
-- 100. A period whose previous one has no such customer has no row: NULL in the KPI table.
-- Only the orders from the period before the range to its end count ($rows_from to
-- $rows_to, metrics.kpis.kpi_query: they start at least that early).
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/kpis.py; every user value is a bound $parameter.
customer_period_revenue AS (
    SELECT customer_id, {period_of_order_date} AS period_index, SUM(amount) AS revenue
    FROM {orders_table}
    WHERE ({segment_filter}) AND order_date BETWEEN $rows_from AND $rows_to
    GROUP BY 1, 2
),
revenue_retention AS (
    -- the rates, and the sums they are computed from (explain() shows those)
    SELECT earlier.period_index + 1 AS period_index,
        100.0 * SUM(COALESCE(later.revenue, 0)) / NULLIF(SUM(earlier.revenue), 0)
            AS net_revenue_retention,
        100.0 * SUM(LEAST(COALESCE(later.revenue, 0), earlier.revenue))
            / NULLIF(SUM(earlier.revenue), 0) AS gross_revenue_retention,
        SUM(earlier.revenue) AS base_revenue,
        SUM(COALESCE(later.revenue, 0)) AS retained_revenue,
        SUM(LEAST(COALESCE(later.revenue, 0), earlier.revenue)) AS capped_retained_revenue
    FROM customer_period_revenue AS earlier
    LEFT JOIN customer_period_revenue AS later
        ON later.customer_id = earlier.customer_id
        AND later.period_index = earlier.period_index + 1
    WHERE earlier.revenue > 0
    GROUP BY earlier.period_index
)
