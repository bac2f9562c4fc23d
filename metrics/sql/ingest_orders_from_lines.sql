-- One row per order from the parsed lines of an uploaded file: the order-level fields from
-- its first line, the total once ({amount}: the sum of the lines, or the first line's).
-- {orders_table} is the dataset's orders table, {first_line_fields} the order-level
-- columns taken from the first line, {category} the first line's category when the lines
-- have one, {usable_lines} the lines of ingest_usable_lines.sql (filled in by
-- metrics/ingest.py).
CREATE TABLE {orders_table} AS
SELECT order_id, {first_line_fields}, {amount} AS amount{category}
FROM (
{usable_lines}) AS lines
GROUP BY COALESCE(order_id, 'row ' || file_row), order_id
ORDER BY customer_id, order_date
