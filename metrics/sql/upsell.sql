-- Upsell ratio (seed 003, "Rata de vânzare în plus": customers who bought more than one
-- product / customers who bought a single product) per period and group, over the customers
-- of sql/upsell_customers.sql (its CTEs come first): the customers of a period are those
-- with a purchase in it; each counts the distinct products they have bought from their first
-- purchase up to the period's last day, so a customer who buys a second product later in the
-- relationship is upsold from then on.
--
-- Placeholders in curly brackets are engine expressions filled in by metrics/loyalty.py.
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
