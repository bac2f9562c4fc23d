-- The customers behind one period's revenue retention (metrics/explain.py): the buyers of
-- the period before it ($explained_index - 1) whose revenue there, net of refunds, is above
-- zero, with that revenue, their revenue in the period and the latter capped at the
-- former; the columns' totals are the KPI row's base_revenue, retained_revenue and
-- capped_retained_revenue (sql/kpi_piece_revenue_retention.sql, the same sums).
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/explain.py; every user value is a bound $parameter.
WITH customer_period_revenue AS (
    SELECT customer_id, {period_of_order_date} AS period_index, SUM(amount) AS revenue
    FROM {orders_table}
    WHERE ({segment_filter})
        AND {period_of_order_date} BETWEEN $explained_index - 1 AND $explained_index
    GROUP BY 1, 2
)
SELECT earlier.customer_id,
    earlier.revenue AS base_revenue,
    COALESCE(later.revenue, 0) AS retained_revenue,
    LEAST(COALESCE(later.revenue, 0), earlier.revenue) AS capped_retained_revenue
FROM customer_period_revenue AS earlier
LEFT JOIN customer_period_revenue AS later
    ON later.customer_id = earlier.customer_id
    AND later.period_index = earlier.period_index + 1
WHERE earlier.period_index = $explained_index - 1 AND earlier.revenue > 0
ORDER BY earlier.revenue DESC, earlier.customer_id
