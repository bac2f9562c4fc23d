-- The cohort table of one filter state read from the page table stored with the dataset at
-- ingest (metrics/page_aggregates.py): the cohorts of the date range from the cohort table
-- computed there, by the cohort query itself, for the whole data at this period. A cohort's
-- cells (counts, revenue, its running sums and "active in c + k or later") depend on its
-- customers' orders up to the range's last period only, never on where the range starts;
-- read for ranges ending in the data's last period, the stored cells are the cells the
-- cohort query computes for the range.
-- {columns} are the cohort query's columns, {stored_table} the page table
-- (metrics/retention.py).
SELECT {columns}
FROM {stored_table}
WHERE period = $stored_period AND cohort_index BETWEEN $first_index AND $last_index
ORDER BY cohort_index, group_value, period_offset
