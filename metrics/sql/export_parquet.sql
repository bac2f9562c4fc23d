-- One stored table of a dataset written as Parquet files under $path (loyaltylens export,
-- metrics/engines/parquet.py), every column as stored; {partition} adds the column the
-- files are split by ({partition_by}: the orders by the month of their order date, as
-- folders loyaltylens_month=YYYY-MM), or nothing. Runs on DuckDB only.
COPY (
    SELECT *{partition}
    FROM {table}
) TO $path (FORMAT parquet{partition_by})
