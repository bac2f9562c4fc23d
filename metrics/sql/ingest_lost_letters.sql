-- Values of an uploaded file with a "?" between two letters ($pattern), where the code
-- page it was saved in lacked a letter: how many distinct ones, and the first in the file.
-- {columns} are the file's cell columns c0, c1, ..., {cells} selects every cell of the
-- matching rows with its row and position, {width} is the number of columns and
-- {data_rows} the condition keeping the data rows (filled in by metrics/ingest.py).
WITH
hit AS (
    SELECT * FROM raw
    WHERE (file_row = 1 OR ({data_rows}))
        AND regexp_matches(concat_ws(chr(31), {columns}), $pattern)
)
SELECT count(DISTINCT value), arg_min(value, file_row * {width} + position)
FROM ({cells})
WHERE regexp_matches(value, $pattern)
