-- The KPI table of one filter state read from the page table stored with the dataset at
-- ingest (metrics/page_aggregates.py): the rows of the date range's periods of the KPI
-- table computed there, by the KPI query itself, for the whole data at this period and
-- inactivity window. Each row of the KPI query depends on the data before and in its
-- period only (E and retained customers are running sums from before the data's first
-- period, S is the previous period's E), never on where the range starts, and the query
-- has no row after the data's last period: so a range that starts inside the data reads
-- exactly the rows the KPI query computes for it.
-- {columns} are the KPI table's columns, {stored_table} the page table (metrics/kpis.py).
SELECT {columns}
FROM {stored_table}
WHERE period = $stored_period AND inactivity_days = $inactivity_days
    AND period_index BETWEEN $first_index AND $last_index
ORDER BY period_index
