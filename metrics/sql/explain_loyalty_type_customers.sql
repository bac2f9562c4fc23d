-- The customers behind one loyalty type's figures (metrics/explain/loyalty.py): the rows of
-- sql/loyalty_types.sql ({customers}) that {row_condition} keeps (the type's customers, or
-- everyone for the type's share), with 0/1 and sum columns whose totals are the figures'
-- inputs: of the type ($explained_group), typed at all, the type's purchases, revenue and
-- customers still in the base at the end.
SELECT customer_id, loyalty_type,
    CASE WHEN loyalty_type = $explained_group THEN 1 ELSE 0 END AS type_customers,
    1 AS typed_customers,
    CASE WHEN loyalty_type = $explained_group THEN orders ELSE 0 END AS type_purchases,
    CASE WHEN loyalty_type = $explained_group THEN revenue ELSE 0 END AS type_revenue,
    CASE WHEN loyalty_type = $explained_group AND in_base_at_end THEN 1 ELSE 0 END
        AS type_retained,
    discounted_orders, redeemed_orders, full_price_orders, last_purchase
FROM (
{customers}) AS typed
WHERE {row_condition}
ORDER BY customer_id
