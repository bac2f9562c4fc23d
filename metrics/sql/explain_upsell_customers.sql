-- The customers behind one upsell ratio (metrics/explain/loyalty.py), over the CTEs of
-- sql/upsell_customers.sql (they come first): the customers with a purchase in the period
-- numbered $explained_index (0 for the whole range) and of the group $explained_group (NULL:
-- no split), with the distinct products they have bought so far and 0/1 columns whose totals
-- are the period's counts.
SELECT customer_id, group_value, products,
    1 AS upsell_active_customers,
    CASE WHEN products = 1 THEN 1 ELSE 0 END AS upsell_one_product_customers,
    CASE WHEN products > 1 THEN 1 ELSE 0 END AS upsell_several_products_customers
FROM grouped
WHERE period_index = $explained_index
    AND group_value IS NOT DISTINCT FROM CAST($explained_group AS VARCHAR)
ORDER BY customer_id
