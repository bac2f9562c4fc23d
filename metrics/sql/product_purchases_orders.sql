-- The purchases up to $selection_end that name a product, one product per order:
-- customer_id, order_date and product of each order with an amount >= 0 in the segment
-- filter (metrics/loyalty.py, for sql/upsell_customers.sql and
-- sql/next_products_customers.sql).
--
-- Placeholders in curly brackets are quoted identifiers and the segment condition filled in
-- by metrics/loyalty.py; every user value is a bound $parameter.
SELECT customer_id, order_date, CAST(product AS VARCHAR) AS product
FROM {orders_table}
WHERE amount >= 0 AND order_date <= $selection_end AND ({segment_filter})
    AND NULLIF(trim(CAST(product AS VARCHAR)), '') IS NOT NULL
