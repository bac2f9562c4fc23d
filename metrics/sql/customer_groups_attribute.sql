-- Each customer's value of a column of the customers table (the alphabetically first if
-- the table lists the customer more than once). Columns: customer_id, group_value.
-- {column} is the quoted column, {customers_table} the dataset's customers table (filled
-- in by metrics/query/segments.py).
SELECT customer_id, MIN(CAST({column} AS VARCHAR)) AS group_value
FROM {customers_table}
GROUP BY customer_id
