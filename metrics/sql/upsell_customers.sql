-- The customers behind the upsell ratio (metrics/loyalty.py, upsell_table), as CTEs that
-- sql/upsell.sql and sql/explain_upsell_customers.sql read: grouped holds each customer with
-- a purchase in a period of [$selection_start, $selection_end] (period_index), their group
-- and the distinct products they have bought from their first purchase up to the period's
-- last day. Purchases are orders with an amount >= 0; lines without a product are left out,
-- and a customer none of whose lines names a product is in no count.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/loyalty.py ({product_purchases} selects customer_id, order_date, product of the
-- purchases up to $selection_end, from the order lines when the data has them); every
-- user value is a bound $parameter.
lines AS (
    {product_purchases}
),
first_bought AS (
    -- the day each customer first bought each product
    SELECT customer_id, product, MIN(order_date) AS first_day
    FROM lines
    GROUP BY customer_id, product
),
active AS (
    SELECT DISTINCT customer_id, {period_of_purchase} AS period_index
    FROM lines
    WHERE order_date BETWEEN $selection_start AND $selection_end
),
products_so_far AS (
    SELECT a.period_index, a.customer_id, COUNT(*) AS products
    FROM active AS a
    JOIN first_bought AS f ON f.customer_id = a.customer_id
        AND f.first_day <= {end_of_active_period}
    GROUP BY a.period_index, a.customer_id
),
grouped AS (
    SELECT c.period_index, c.customer_id, {group_value} AS group_value, c.products
    FROM products_so_far AS c
    {group_join}
)
