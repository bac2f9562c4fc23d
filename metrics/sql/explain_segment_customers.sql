-- The customers behind one value's figures of the segment comparison
-- (metrics/explain/segments.py): every customer with an order in the selection's periods,
-- with their purchases, net revenue and 0/1 columns saying whether they count as a
-- customer (a purchase) and as a repeat customer (two or more), so each count and sum of
-- sql/segment_figures.sql is the total of its column. From per_customer
-- (sql/segment_purchases.sql); highest revenue first.
SELECT customer_id,
    CAST(CASE WHEN orders >= 1 THEN 1 ELSE 0 END AS BIGINT) AS customers,
    CAST(orders AS BIGINT) AS orders,
    CAST(revenue AS DOUBLE) AS revenue,
    CAST(CASE WHEN orders >= 2 THEN 1 ELSE 0 END AS BIGINT) AS repeat_customers
FROM per_customer
ORDER BY revenue DESC, customer_id
