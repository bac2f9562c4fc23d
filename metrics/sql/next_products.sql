-- What customers buy next after their first purchase: for each customer whose first
-- purchase day falls in [$selection_start, $selection_end], every pair (a product of the
-- first purchase day, a product of the second purchase day up to $selection_end), counted
-- once per customer. share_pct = customers with the pair / customers with that first
-- product who came back; a next purchase with several products counts for each, so the
-- shares of one first product can add up to more than 100%. Purchase days are the days
-- with a purchase (amount >= 0) that names a product.
--
-- Placeholders in curly brackets are filled in by metrics/loyalty.py ({product_purchases}
-- as in upsell.sql); every user value is a bound $parameter.
WITH
lines AS (
    {product_purchases}
),
purchase_days AS (
    SELECT customer_id, order_date,
        ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date) AS purchase_number
    FROM (SELECT DISTINCT customer_id, order_date FROM lines) AS days
),
first_products AS (
    SELECT DISTINCT l.customer_id, l.product
    FROM lines AS l
    JOIN purchase_days AS d ON d.customer_id = l.customer_id AND d.order_date = l.order_date
    WHERE d.purchase_number = 1 AND d.order_date >= $selection_start
),
next_products AS (
    SELECT DISTINCT l.customer_id, l.product
    FROM lines AS l
    JOIN purchase_days AS d ON d.customer_id = l.customer_id AND d.order_date = l.order_date
    WHERE d.purchase_number = 2
),
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
