-- The rows of an uploaded file as read, numbered as in the file, with the rows the CSV
-- reader left out for being longer than the header (raw_long, numbered by the ingest) put
-- back in their place. The j-th left-out row (1-based, at row L) shifts the rows the
-- reader kept from its position L - j + 1 on by one more.
-- {cells} is the list of the file's cell columns c0, c1, ... (filled in by
-- metrics/ingest.py).
CREATE OR REPLACE TEMP TABLE raw_numbered AS
WITH
shifts AS (
    SELECT file_row - row_number() OVER (ORDER BY file_row) + 1 AS kept_from,
        row_number() OVER (ORDER BY file_row) AS shift
    FROM raw_long
),
kept AS (
    SELECT rowid + 1 AS kept_row, * FROM raw_file
)
SELECT kept_row + coalesce(shift, 0) AS file_row, {cells}
FROM kept ASOF LEFT JOIN shifts ON kept.kept_row >= shifts.kept_from
UNION ALL
SELECT file_row, {cells} FROM raw_long
