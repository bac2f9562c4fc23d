-- Each customer's acquisition cohort: the first day of the period of their first purchase
-- (among the orders the segment filter keeps), as ISO text. Columns: customer_id,
-- group_value. {first_period_start} is the period's first day of MIN(order_date), {rows}
-- the condition on the orders, {orders_table} the orders (metrics/query/segments.py).
SELECT customer_id, CAST({first_period_start} AS VARCHAR) AS group_value
FROM {orders_table}
WHERE {rows}
GROUP BY customer_id
