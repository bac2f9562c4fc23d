-- The figures of one selection for the segment comparison (metrics/segments.py): the
-- customers with a purchase in the selection's periods ($first_index to $last_index), their
-- purchases, net revenue and the customers with at least two purchases. A purchase is an
-- order with an amount >= 0; refunds (negative amounts) reduce revenue only, as in the KPI
-- query, so revenue here is the sum of the periods' KPI revenue.
--
-- Placeholders in curly brackets are a quoted table name and engine expressions filled in
-- by metrics/kpis.py's orders_query; every user value is a bound $parameter.
WITH
selected AS (
    SELECT customer_id, amount
    FROM {orders_table}
    WHERE {period_of_order_date} BETWEEN $first_index AND $last_index AND ({segment_filter})
),
per_customer AS (
    SELECT customer_id,
        SUM(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS orders,
        SUM(amount) AS revenue
    FROM selected
    GROUP BY customer_id
)
SELECT
    CAST(COALESCE(SUM(CASE WHEN orders >= 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS customers,
    CAST(COALESCE(SUM(orders), 0) AS BIGINT) AS orders,
    CAST(COALESCE(SUM(revenue), 0) AS DOUBLE) AS revenue,
    CAST(COALESCE(SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT)
        AS repeat_customers
FROM per_customer
