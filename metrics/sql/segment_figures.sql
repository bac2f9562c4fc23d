-- The figures of one selection for the segment comparison (metrics/segments.py): the
-- customers with a purchase in the selection's periods, their purchases, net revenue and
-- the customers with at least two purchases, from each customer's purchases and revenue
-- (per_customer, sql/segment_purchases.sql). Refunds reduce revenue only, so revenue here
-- is the sum of the periods' KPI revenue.
SELECT
    CAST(COALESCE(SUM(CASE WHEN orders >= 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS customers,
    CAST(COALESCE(SUM(orders), 0) AS BIGINT) AS orders,
    CAST(COALESCE(SUM(revenue), 0) AS DOUBLE) AS revenue,
    CAST(COALESCE(SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT)
        AS repeat_customers
FROM per_customer
