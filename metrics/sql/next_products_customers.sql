-- The customers behind the next-product pairs (metrics/loyalty.py, next_products), as CTEs
-- that sql/next_products.sql and sql/explain_next_product_customers.sql read: the purchase
-- days of each customer (days with a purchase, amount >= 0, that names a product, up to
-- $selection_end), first_products = the products of the first purchase day of each customer
-- whose first purchase day falls in [$selection_start, $selection_end], next_products = the
-- products of every customer's second purchase day.
--
-- Placeholders in curly brackets are filled in by metrics/loyalty.py ({product_purchases}
-- as in upsell_customers.sql); every user value is a bound $parameter.
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
)
