-- Cohort cells (DESIGN.md "Metric definitions"): acquisition cohort c = the period of a
-- customer's first purchase; per cohort and period since acquisition k: the customers with
-- a purchase in c + k, the cohort's net revenue in c + k, the customers whose last purchase
-- (within the range) is in c + k, and the cohort sizes. sql/cohort_grid.sql turns them into
-- the table; sql/cohort_cells_from_history.sql computes the same from stored history.
--
-- Any filter state: (customer, period) activity first, then a join with each customer's
-- cohort. Refunds (negative amounts) are revenue but not purchases: they never make a
-- customer active or acquire one.
--
-- Placeholders in curly brackets are engine expressions, quoted identifiers and the
-- conditions of sql/cohort_condition_*.sql (shared by both) filled in by
-- metrics/retention.py; every user value is a bound $parameter.
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
    WHERE
    {members_in_range}),
cells AS (
    SELECT m.cohort_index, m.group_value, a.period_index - m.cohort_index AS period_offset,
        SUM(a.purchased) AS active_customers,
        SUM(a.revenue) AS revenue
    FROM activity AS a
    JOIN members AS m ON m.customer_id = a.customer_id
    WHERE
    {activity_in_range}    GROUP BY 1, 2, 3
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
)
