-- The values of one segment column (NULL left out), most frequent first, ties in order
-- of the value. {column} is the quoted column, {table} the table holding it (filled in by
-- metrics/query/segments.py).
SELECT {column}
FROM {table}
WHERE {column} IS NOT NULL
GROUP BY {column}
ORDER BY count(*) DESC, {column}
