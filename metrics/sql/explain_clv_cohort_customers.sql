-- The customers behind a historic CLV (metrics/clv/historic.py): the customers of the
-- cohorts counted (one cohort, or every cohort of a group that has completed month k),
-- each with 1 (customers) and their net revenue from their acquisition month to k months
-- later (cumulative_revenue), so that the columns total the inputs. Runs over the CTEs of
-- sql/cohort_cells.sql (monthly periods); {selection} picks the cohort or the group.
SELECT m.customer_id,
    {cohort_start} AS cohort,
    1 AS customers,
    CAST(COALESCE(SUM(a.revenue), 0) AS DOUBLE) AS cumulative_revenue
FROM members AS m
LEFT JOIN activity AS a ON a.customer_id = m.customer_id
    AND a.period_index BETWEEN m.cohort_index AND m.cohort_index + $explained_offset
WHERE ({selection})
    AND m.cohort_index + $explained_offset <= $last_index
    AND {month_k_end} <= $data_last_day
GROUP BY m.customer_id, m.cohort_index
ORDER BY m.customer_id
