-- The order lines of an uploaded file, for product-level metrics: the usable lines of
-- ingest_usable_lines.sql ({usable_lines}).
-- {items_table} is the dataset's order_items table, {item_columns} the product, category
-- and quantity columns the file has and, when the lines carry their own amounts, the
-- line amount (filled in by metrics/ingest.py).
CREATE TABLE {items_table} AS
SELECT order_id, customer_id, order_date{item_columns}
FROM (
{usable_lines}) AS lines
ORDER BY order_id, file_row
