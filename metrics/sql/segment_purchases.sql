-- Each customer of one selection of the segment comparison (metrics/segments.py) with
-- their purchases and net revenue in the selection's periods ($first_index to
-- $last_index). A purchase is an order with an amount >= 0; refunds (negative amounts)
-- reduce revenue only, as in the KPI query. The CTEs shared by the selection's figures
-- (sql/segment_figures.sql) and the rows behind them (sql/explain_segment_customers.sql).
--
-- Placeholders in curly brackets are a quoted table name and engine expressions filled in
-- by metrics/query/orders.py's orders_query; every user value is a bound $parameter.
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
