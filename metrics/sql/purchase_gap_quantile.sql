-- The 90th percentile of the days between a customer's consecutive purchase days (several
-- orders on one day are one purchase day; refunds, negative amounts, are not purchases):
-- the suggested inactivity window before rounding. NULL without repeat purchases.
-- {orders_table} is the dataset's orders table, {days_since_previous_purchase} the days
-- from the customer's previous purchase day (filled in by metrics/kpis.py).
SELECT quantile_cont(gap, 0.9)
FROM (
    SELECT {days_since_previous_purchase} AS gap
    FROM (SELECT DISTINCT customer_id, order_date FROM {orders_table} WHERE amount >= 0)
)
WHERE gap IS NOT NULL
