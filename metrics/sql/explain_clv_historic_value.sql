-- One historic CLV (metrics/clv/historic.py) from the monthly cohort table it is built on
-- (sql/cohort_cells*.sql + sql/cohort_grid.sql): the net revenue of months 0..k
-- ($explained_offset) of the cohorts counted, over their customers. Without a split one
-- cohort counts ($explained_cohort); split by a segment, every cohort of the group
-- ($explained_group) that has completed month k.
SELECT CAST(SUM(revenue) AS DOUBLE)
        / NULLIF(SUM(CASE WHEN period_offset = $explained_offset THEN cohort_size END), 0)
        AS clv_historic,
    CAST(SUM(revenue) AS DOUBLE) AS cumulative_revenue,
    CAST(SUM(CASE WHEN period_offset = $explained_offset THEN cohort_size END) AS BIGINT)
        AS customers
FROM (
    SELECT cohort, group_value, period_offset, cohort_size, revenue,
        MAX(CASE WHEN period_offset = $explained_offset AND complete THEN 1 ELSE 0 END)
            OVER (PARTITION BY cohort, group_value) AS counted
    FROM (
{cohort_query}) AS cells
) AS cells
WHERE counted = 1 AND period_offset <= $explained_offset AND ({selection})
