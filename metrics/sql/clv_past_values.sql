-- Each customer's net revenue (refunds subtracted) up to the calibration end $end, the
-- "revenue so far" of the predictive CLV's tables (metrics/clv/predictive.py); the segment
-- filter is the KPI query's. Placeholders in curly brackets are a quoted table name and an
-- engine expression filled in by metrics/query/orders.py; every value is a bound $parameter.
SELECT customer_id, CAST(SUM(amount) AS DOUBLE) AS past_value
FROM {orders_table}
WHERE order_date <= $end AND ({segment_filter})
GROUP BY customer_id
