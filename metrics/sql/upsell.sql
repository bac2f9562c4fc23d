-- Upsell ratio (seed 003, "Rata de vânzare în plus": customers who bought more than one
-- product / customers who bought a single product) per period and group. The customers of
-- a period are those with a purchase in it (in [$selection_start, $selection_end]); each
-- counts the distinct products they have bought from their first purchase up to the
-- period's last day, so a customer who buys a second product later in the relationship is
-- upsold from then on. Purchases are orders with an amount >= 0; lines without a product
-- are left out, and a customer none of whose lines names a product is in no count.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/loyalty.py ({product_purchases} selects customer_id, order_date, product of the
-- purchases up to $selection_end, from the order lines when the data has them); every
-- user value is a bound $parameter.
WITH
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
    SELECT c.period_index, {group_value} AS group_value, c.products
    FROM products_so_far AS c
    {group_join}
)
SELECT
    period_index,
    {period_start} AS period_start,
    {period_end} AS period_end,
    group_value,
    CAST(COUNT(*) AS BIGINT) AS active_customers,
    CAST(COUNT(*) FILTER (WHERE products = 1) AS BIGINT) AS one_product_customers,
    CAST(COUNT(*) FILTER (WHERE products > 1) AS BIGINT) AS several_products_customers,
    CAST(COUNT(*) FILTER (WHERE products > 1) AS DOUBLE)
        / NULLIF(COUNT(*) FILTER (WHERE products = 1), 0) AS upsell_ratio,
    100.0 * COUNT(*) FILTER (WHERE products > 1) / COUNT(*) AS several_products_pct
FROM grouped
GROUP BY period_index, group_value
ORDER BY period_index, group_value
