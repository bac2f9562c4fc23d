-- Customer lifecycle per period (DESIGN.md, Retention page): of the customers with a
-- purchase in the period, the new (first purchase ever in it), the returning (also active
-- in the previous period) and the resurrected (not active in the previous period, not
-- new); and the dormant: active in the previous period, not in this one.
-- Refunds (negative amounts) are not purchases.
--
-- Any filter state: each customer's active periods, then windows over customer and period.
-- These CTEs (arrivals, departures) join the KPI rows (sql/kpi_rows.sql) after the CTEs
-- of sql/kpis.sql; sql/kpis_from_history.sql computes the same from stored history.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/kpis.py; every user value is a bound $parameter.
active_periods AS (
    SELECT DISTINCT customer_id, {period_of_order_date} AS period_index
    FROM {orders_table}
    WHERE amount >= 0 AND {segment_filter}
),
neighbours AS (
    SELECT period_index,
        MIN(period_index) OVER (PARTITION BY customer_id) AS first_index,
        LAG(period_index) OVER (PARTITION BY customer_id ORDER BY period_index)
            AS previous_active,
        LEAD(period_index) OVER (PARTITION BY customer_id ORDER BY period_index)
            AS next_active
    FROM active_periods
),
arrivals AS (
    SELECT period_index,
        SUM(CASE WHEN period_index = first_index THEN 1 ELSE 0 END) AS new_customers,
        SUM(CASE WHEN previous_active = period_index - 1 THEN 1 ELSE 0 END)
            AS returning_customers,
        SUM(CASE WHEN previous_active < period_index - 1 THEN 1 ELSE 0 END)
            AS resurrected_customers
    FROM neighbours
    GROUP BY period_index
),
departures AS (
    -- dormant in the period after each last period of a run of active periods
    SELECT period_index + 1 AS period_index, COUNT(*) AS dormant_customers
    FROM neighbours
    WHERE next_active IS NULL OR next_active > period_index + 1
    GROUP BY 1
)
