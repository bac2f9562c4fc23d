-- What customers buy next after their first purchase, over the CTEs of
-- sql/next_products_customers.sql (they come first): every pair (a product of the first
-- purchase day, a product of the second purchase day), counted once per customer.
-- share_pct = customers with the pair / customers with that first product who came back; a
-- next purchase with several products counts for each, so the shares of one first product
-- can add up to more than 100%.
first_totals AS (
    SELECT f.product AS first_product,
        COUNT(DISTINCT f.customer_id) AS first_customers,
        COUNT(DISTINCT r.customer_id) AS returning_customers
    FROM first_products AS f
    LEFT JOIN (SELECT DISTINCT customer_id FROM next_products) AS r
        ON r.customer_id = f.customer_id
    GROUP BY f.product
),
pairs AS (
    SELECT f.product AS first_product, n.product AS next_product, COUNT(*) AS customers
    FROM first_products AS f
    JOIN next_products AS n ON n.customer_id = f.customer_id
    GROUP BY f.product, n.product
)
SELECT
    p.first_product,
    p.next_product,
    CAST(p.customers AS BIGINT) AS customers,
    CAST(t.first_customers AS BIGINT) AS first_customers,
    CAST(t.returning_customers AS BIGINT) AS returning_customers,
    100.0 * p.customers / t.returning_customers AS share_pct,
    CAST(ROW_NUMBER() OVER (PARTITION BY p.first_product
                            ORDER BY p.customers DESC, p.next_product) AS BIGINT) AS rank
FROM pairs AS p
JOIN first_totals AS t ON t.first_product = p.first_product
ORDER BY t.first_customers DESC, p.first_product, rank
