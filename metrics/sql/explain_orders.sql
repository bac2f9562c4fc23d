-- The orders behind one period's KPIs (metrics/explain/periods.py): every order row of the period
-- from $first_day to $end_day, refunds (negative amounts) included, with 0/1 and amount
-- columns whose totals are the KPI row's orders, revenue and refunds, and the sums of the
-- purchases' amounts and of their squares behind the spread of order values (0 for a
-- refund, which is not a purchase).
--
-- Placeholders in curly brackets are quoted identifiers filled in by metrics/explain/periods.py;
-- every user value is a bound $parameter.
SELECT customer_id, order_date, amount,
    CASE WHEN amount >= 0 THEN 1 ELSE 0 END AS orders,
    amount AS revenue,
    CASE WHEN amount < 0 THEN -amount ELSE 0 END AS refunds,
    CASE WHEN amount >= 0 THEN amount ELSE 0 END AS order_value,
    CASE WHEN amount >= 0 THEN amount * amount ELSE 0 END AS order_value_squared
FROM {orders_table}
WHERE ({segment_filter}) AND order_date BETWEEN $first_day AND $end_day
ORDER BY order_date, customer_id
