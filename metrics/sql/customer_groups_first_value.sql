-- Each customer's value of a segment column on their first day, how they were acquired:
-- for a column of the orders their first purchase day (among the orders the segment
-- filter keeps), for a column of the subscriptions their first subscription's start; the
-- alphabetically first value if that day has several. Columns: customer_id, group_value.
-- {day} is the date column, {rows} the condition on the rows, {column} the quoted segment
-- column and {table} the table holding it (filled in by metrics/query/segments.py).
SELECT customer_id, MIN(group_value) AS group_value
FROM (
    SELECT customer_id, {day} AS day, CAST({column} AS VARCHAR) AS group_value,
        MIN({day}) OVER (PARTITION BY customer_id) AS first_day
    FROM {table}
    WHERE {rows}
) AS firsts
WHERE day = first_day
GROUP BY customer_id
