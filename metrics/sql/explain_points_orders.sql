-- The orders behind the average order value with (or without) points redeemed
-- (metrics/explain/loyalty.py): every order of [$selection_start, $selection_end] whose
-- points-redeemed flag ({redeemed}) is $explained_redeemed, refunds included, with a 0/1
-- purchase column and the amount, whose totals are sql/points_aov.sql's purchases and
-- revenue of that flag.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/loyalty.py; every user value is a bound $parameter.
SELECT customer_id, order_date, amount,
    CASE WHEN amount >= 0 THEN 1 ELSE 0 END AS points_purchases,
    amount AS points_revenue
FROM {orders_table}
WHERE order_date BETWEEN $selection_start AND $selection_end AND ({segment_filter})
    AND ({redeemed}) = $explained_redeemed
ORDER BY order_date, customer_id
