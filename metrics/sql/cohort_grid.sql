-- The cohort table from the CTEs cells, last_counts and sizes (sql/cohort_cells*.sql): a
-- row for every cohort and period since acquisition up to the range's last period, the
-- unbounded count (customers whose last purchase is in c + k or later), the cohort's revenue
-- from c to c + k (cumulative_revenue) and the cumulative revenue per customer.
grid AS (
    -- every cell from the acquisition period to the last period of the range
    SELECT cohort_index, group_value, cohort_size, {offset_series}
    FROM sizes
),
cohort_cells AS (
    SELECT g.cohort_index, g.group_value, g.cohort_size, g.period_offset,
        COALESCE(c.active_customers, 0) AS active_customers,
        COALESCE(c.revenue, 0) AS revenue,
        COALESCE(l.customers, 0) AS last_here
    FROM grid AS g
    LEFT JOIN cells AS c ON c.cohort_index = g.cohort_index
        AND c.group_value IS NOT DISTINCT FROM g.group_value
        AND c.period_offset = g.period_offset
    LEFT JOIN last_counts AS l ON l.cohort_index = g.cohort_index
        AND l.group_value IS NOT DISTINCT FROM g.group_value
        AND l.last_offset = g.period_offset
)
SELECT
    {cohort_start} AS cohort,
    group_value,
    period_offset,
    {cell_start} AS period_start,
    {cell_end} AS period_end,
    CAST(cohort_size AS BIGINT) AS cohort_size,
    CAST(active_customers AS BIGINT) AS active_customers,
    CAST(SUM(last_here) OVER later_cells AS BIGINT) AS active_or_later,
    CAST(revenue AS DOUBLE) AS revenue,
    CAST(FIRST_VALUE(revenue) OVER cohort_row AS DOUBLE) AS first_period_revenue,
    CAST(SUM(revenue) OVER cohort_row AS DOUBLE) AS cumulative_revenue,
    CAST(SUM(revenue) OVER cohort_row AS DOUBLE) / cohort_size
        AS cumulative_revenue_per_customer,
    {cell_end} <= $data_last_day AS complete
FROM cohort_cells
WINDOW
    later_cells AS (
        PARTITION BY cohort_index, group_value ORDER BY period_offset DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ),
    cohort_row AS (
        PARTITION BY cohort_index, group_value ORDER BY period_offset
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
ORDER BY cohort_index, group_value, period_offset
