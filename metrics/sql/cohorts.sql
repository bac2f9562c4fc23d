-- Cohort retention (DESIGN.md "Metric definitions"): acquisition cohort c = the period of a
-- customer's first purchase; cell (c, k) = customers of c with a purchase in period c + k
-- ("classic"), customers of c whose last purchase is in c + k or later ("unbounded"), the
-- cohort's net revenue in c + k, and its cumulative revenue.
--
-- One pass over the orders: (customer, period) activity first, then a join with each
-- customer's cohort. Refunds (negative amounts) are revenue but not purchases: they never
-- make a customer active or acquire one.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/retention.py; every user value is a bound $parameter.
WITH
filtered AS (
    SELECT customer_id, order_date, amount
    FROM {orders_table}
    WHERE {segment_filter}
),
activity AS (
    -- one row per customer and period with an order or a refund
    SELECT customer_id, {period_of_order_date} AS period_index,
        MAX(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS purchased,
        SUM(amount) AS revenue
    FROM filtered
    GROUP BY 1, 2
),
acquired AS (
    -- each customer's cohort (the period of the first purchase), the period of the last
    -- purchase and group (the segment value of the first purchase)
    SELECT firsts.customer_id, cohort_index, last_index, {group_value} AS group_value
    FROM (
        SELECT customer_id,
            MIN(CASE WHEN purchased = 1 THEN period_index END) AS cohort_index,
            MAX(CASE WHEN purchased = 1 AND period_index <= $last_index THEN period_index END)
                AS last_index
        FROM activity
        GROUP BY customer_id
    ) AS firsts
    {group_join}
),
members AS (
    SELECT customer_id, cohort_index, last_index, group_value
    FROM acquired
    WHERE cohort_index BETWEEN $first_index AND $last_index
),
cells AS (
    SELECT m.cohort_index, m.group_value, a.period_index - m.cohort_index AS period_offset,
        SUM(a.purchased) AS active_customers,
        SUM(a.revenue) AS revenue
    FROM activity AS a
    JOIN members AS m ON m.customer_id = a.customer_id
    WHERE a.period_index BETWEEN m.cohort_index AND $last_index
    GROUP BY 1, 2, 3
),
last_counts AS (
    -- how many periods after acquisition customers last bought (within the range)
    SELECT cohort_index, group_value, last_index - cohort_index AS last_offset,
        COUNT(*) AS customers
    FROM members
    GROUP BY 1, 2, 3
),
sizes AS (
    SELECT cohort_index, group_value, COUNT(*) AS cohort_size
    FROM members
    GROUP BY 1, 2
),
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
    cohort_size,
    CAST(active_customers AS BIGINT) AS active_customers,
    CAST(SUM(last_here) OVER later_cells AS BIGINT) AS active_or_later,
    CAST(revenue AS DOUBLE) AS revenue,
    CAST(FIRST_VALUE(revenue) OVER cohort_row AS DOUBLE) AS first_period_revenue,
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
