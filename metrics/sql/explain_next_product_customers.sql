-- The customers behind one next-product pair (metrics/explain/loyalty.py), over the CTEs of
-- sql/next_products_customers.sql (they come first): every customer whose first purchase
-- day, in the date range, held the product $explained_first, whether they came back (a
-- second purchase day) and whether that day held $explained_next, as 0/1 columns whose totals
-- are the pair's counts.
SELECT f.customer_id,
    1 AS first_product_customers,
    CASE WHEN n.customer_id IS NULL THEN 0 ELSE 1 END AS first_product_returning,
    COALESCE(n.has_next, 0) AS next_product_customers
FROM first_products AS f
LEFT JOIN (
    SELECT customer_id,
        MAX(CASE WHEN product = CAST($explained_next AS VARCHAR) THEN 1 ELSE 0 END)
            AS has_next
    FROM next_products
    GROUP BY customer_id
) AS n ON n.customer_id = f.customer_id
WHERE f.product = $explained_first
ORDER BY f.customer_id
