-- The customers behind one period's KPIs (metrics/explain.py): each customer of the base
-- at the start (S, measured on $start_day, the day before the period), of the base at the
-- end (E, measured on $end_day), new in the period (N), active in it or in the previous
-- period (from $previous_first_day to $start_day), with one 0/1 column per count, so each
-- count of the KPI row is the total of its column. The lifecycle counts (sql/lifecycle.sql)
-- compare the two periods: returning = active in both, resurrected = active now, not in the
-- previous period and not new, dormant = active in the previous period only.
-- A customer is in the base on day t when their latest purchase on or before t is at most
-- $inactivity_days days before t (DESIGN.md "Metric definitions"); refunds (negative
-- amounts) are not purchases.
--
-- Placeholders in curly brackets are quoted identifiers and constant conditions filled in
-- by metrics/explain.py; every user value is a bound $parameter.
purchases AS (
    SELECT customer_id, order_date
    FROM {orders_table}
    WHERE ({segment_filter}) AND amount >= 0 AND order_date <= $end_day
),
per_customer AS (
    SELECT customer_id,
        MIN(order_date) AS first_purchase,
        MAX(CASE WHEN order_date <= $start_day THEN order_date END) AS latest_before_period,
        MAX(order_date) AS latest_purchase,
        COUNT(CASE WHEN order_date >= $first_day THEN 1 END) AS period_orders,
        COUNT(CASE WHEN order_date >= $previous_first_day AND order_date <= $start_day
            THEN 1 END) AS previous_period_orders,
        COUNT(*) AS orders_to_date
    FROM purchases
    GROUP BY customer_id
),
flagged AS (
    SELECT customer_id, first_purchase, latest_purchase, period_orders, orders_to_date,
        CASE WHEN latest_before_period >= $start_day - CAST($inactivity_days AS INTEGER)
            THEN 1 ELSE 0 END AS start_customers,
        CASE WHEN first_purchase >= $first_day THEN 1 ELSE 0 END AS new_customers,
        CASE WHEN latest_purchase >= $end_day - CAST($inactivity_days AS INTEGER)
            THEN 1 ELSE 0 END AS end_customers,
        CASE WHEN period_orders > 0 THEN 1 ELSE 0 END AS active_customers,
        CASE WHEN previous_period_orders > 0 THEN 1 ELSE 0 END AS previously_active,
        CASE WHEN period_orders > 0 AND orders_to_date >= 2 THEN 1 ELSE 0 END
            AS repeat_customers
    FROM per_customer
)
SELECT customer_id, first_purchase, latest_purchase, period_orders, orders_to_date,
    start_customers, new_customers, end_customers,
    start_customers * end_customers AS retained_customers,
    start_customers * (1 - end_customers) AS lost_customers,
    active_customers, repeat_customers,
    active_customers * previously_active AS returning_customers,
    active_customers * (1 - previously_active) * (1 - new_customers) AS resurrected_customers,
    (1 - active_customers) * previously_active AS dormant_customers
FROM flagged
WHERE {row_condition}
ORDER BY customer_id
