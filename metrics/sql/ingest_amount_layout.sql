-- Orders written on several rows of an uploaded file, by how their amount is written:
-- count(orders on several rows), count(those with the amount on their first row only),
-- count(those repeating one amount on every row).
-- {order_id} and {amount} are the trimmed cells of the order id and amount columns,
-- {data_rows} the condition keeping the file's data rows (filled in by metrics/ingest.py).
SELECT count(*),
    count(*) FILTER (WHERE filled = 1 AND first_filled),
    count(*) FILTER (WHERE filled = lines AND distinct_amounts = 1)
FROM (
    SELECT order_id,
        count(*) AS lines,
        count(amount) AS filled,
        count(DISTINCT amount) AS distinct_amounts,
        bool_or(amount IS NOT NULL AND file_row = first_row) AS first_filled
    FROM (
        SELECT {order_id} AS order_id, {amount} AS amount, file_row,
            min(file_row) OVER (PARTITION BY {order_id}) AS first_row
        FROM raw
        WHERE {data_rows}
    )
    WHERE order_id IS NOT NULL
    GROUP BY order_id
    HAVING count(*) > 1
)
