-- Average order value of the purchases in [$selection_start, $selection_end] with and
-- without points redeemed ({redeemed}): revenue (net of the refunds, each refund in the
-- group of its own row) / purchases (orders with an amount >= 0), with the total and sum of
-- squares of the purchase amounts for Welch's t-test.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/loyalty.py; every user value is a bound $parameter.
SELECT
    {redeemed} AS points_redeemed,
    CAST(COUNT(*) FILTER (WHERE amount >= 0) AS BIGINT) AS purchases,
    CAST(SUM(amount) AS DOUBLE) AS revenue,
    CAST(COALESCE(SUM(amount) FILTER (WHERE amount >= 0), 0) AS DOUBLE) AS purchase_total,
    CAST(COALESCE(SUM(amount * amount) FILTER (WHERE amount >= 0), 0) AS DOUBLE)
        AS purchase_squares
FROM {orders_table}
WHERE order_date BETWEEN $selection_start AND $selection_end AND ({segment_filter})
GROUP BY 1
ORDER BY 1
