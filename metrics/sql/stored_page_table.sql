-- A page table stored with a dataset at ingest (metrics/page_aggregates.py): the rows of
-- one page query for the whole data ({query}: the KPI or cohort query itself, as a page
-- runs it), tagged with the period and inactivity window they are for and the number of
-- the period each row belongs to ({row_period_index}), so that a page reads the rows of
-- its date range. {statement} creates the table or adds to it.
{statement}
SELECT CAST($stored_period AS VARCHAR) AS period,
    CAST($stored_window AS INTEGER) AS inactivity_days,
    {row_period_index} AS {index_column},
    page.*
FROM (
{query}) AS page
