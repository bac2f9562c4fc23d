-- The purchases up to $selection_end that name a product, from the order lines of a
-- line-item file: customer_id, order_date and product of each line of an order with an
-- amount >= 0 in the segment filter (metrics/loyalty.py, for sql/upsell_customers.sql and
-- sql/next_products_customers.sql). An order without an id is matched on its customer and
-- day too.
--
-- Placeholders in curly brackets are quoted identifiers and the segment condition filled in
-- by metrics/loyalty.py; every user value is a bound $parameter.
SELECT o.customer_id, o.order_date, CAST(i.product AS VARCHAR) AS product
FROM {items_table} AS i
JOIN (
    SELECT order_id, customer_id, order_date
    FROM {orders_table}
    WHERE amount >= 0 AND order_date <= $selection_end AND ({segment_filter})
) AS o
    ON o.order_id IS NOT DISTINCT FROM i.order_id
    AND o.customer_id = i.customer_id AND o.order_date = i.order_date
WHERE NULLIF(trim(CAST(i.product AS VARCHAR)), '') IS NOT NULL
