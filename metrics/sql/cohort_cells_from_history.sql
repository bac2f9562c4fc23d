-- Cohort cells from the purchase history stored with the orders (sql/purchase_history.sql):
-- the same CTEs as sql/cohort_cells.sql in one scan of the orders, no per-customer pass. It
-- holds for filter states that keep or drop whole customers (no segment filter on a column
-- of the orders), since each customer's stored first, previous and next purchase are then
-- also those of the filtered data. An order counts its customer active in its period when
-- the previous purchase is in an earlier period, and as their last purchase in the range
-- when the next one is after it.
--
-- Placeholders in curly brackets are engine expressions, quoted identifiers and the
-- conditions of sql/cohort_condition_*.sql (shared by both) filled in by
-- metrics/retention.py; every user value is a bound $parameter.
placed AS (
    SELECT {group_value} AS group_value, o.amount,
        {period_of_first_purchase} AS cohort_index,
        {period_of_order_date} AS period_index,
        CASE WHEN o.amount >= 0 AND (o.previous_purchase_on IS NULL
                OR {period_of_previous_purchase} < {period_of_order_date})
            THEN 1 ELSE 0 END AS first_in_period,
        CASE WHEN o.amount >= 0 AND o.previous_purchase_on IS NULL THEN 1 ELSE 0 END
            AS acquisition,
        CASE WHEN o.amount >= 0 AND (o.next_purchase_on IS NULL
                OR {period_of_next_purchase} > $last_index)
            THEN 1 ELSE 0 END AS last_in_range
    FROM (
        SELECT customer_id, order_date, amount, first_purchase_on, previous_purchase_on,
            next_purchase_on
        FROM {orders_table}
        WHERE first_purchase_on IS NOT NULL AND {segment_filter}
    ) AS o
    {group_join}
),
summed AS (
    -- one small GROUP BY, so the big scan above runs once
    SELECT cohort_index, group_value, period_index - cohort_index AS period_offset,
        SUM(first_in_period) AS active_customers,
        SUM(amount) AS revenue,
        SUM(last_in_range) AS last_here,
        SUM(acquisition) AS acquired
    FROM placed
    WHERE
    {orders_in_range}    GROUP BY 1, 2, 3
),
cells AS (
    SELECT cohort_index, group_value, period_offset, active_customers, revenue FROM summed
),
last_counts AS (
    SELECT cohort_index, group_value, period_offset AS last_offset, last_here AS customers
    FROM summed
    WHERE last_here > 0
),
sizes AS (
    SELECT cohort_index, group_value, SUM(acquired) AS cohort_size
    FROM summed
    GROUP BY 1, 2
    HAVING SUM(acquired) > 0
)
