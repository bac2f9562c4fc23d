-- The customers behind one cohort cell, or behind the average of the cells k periods after
-- their cohorts' first (metrics/explain/cohorts.py): every customer of the cohorts from
-- $explained_first_cohort to $explained_last_cohort (the period of their first purchase),
-- over the CTEs of sql/cohort_cells.sql, with one column per input of the cells (c, k),
-- k = $explained_offset, so that each input is the total of its column: 1 per customer
-- (the cohort's size), 0/1 for a purchase in c + k and for a last purchase (within the
-- range) in c + k or later, and their revenue, net of refunds, in c + k, in c and from c to
-- c + k. The group condition keeps the customers of the cells' group when the cohorts are
-- split by a segment (m.group_value, the value of the customer's first purchase).
SELECT m.customer_id,
    {cohort_start} AS cohort,
    1 AS cohort_size,
    MAX(CASE WHEN a.period_index = m.cohort_index + $explained_offset THEN a.purchased
        ELSE 0 END) AS cohort_active_customers,
    CASE WHEN m.last_index >= m.cohort_index + $explained_offset THEN 1 ELSE 0 END
        AS cohort_active_or_later,
    SUM(CASE WHEN a.period_index = m.cohort_index + $explained_offset THEN a.revenue
        ELSE 0 END) AS cohort_revenue,
    SUM(CASE WHEN a.period_index = m.cohort_index THEN a.revenue ELSE 0 END)
        AS cohort_first_period_revenue,
    SUM(CASE WHEN a.period_index BETWEEN m.cohort_index
            AND m.cohort_index + $explained_offset THEN a.revenue ELSE 0 END)
        AS cumulative_revenue
FROM members AS m
JOIN activity AS a ON a.customer_id = m.customer_id
WHERE m.cohort_index BETWEEN $explained_first_cohort AND $explained_last_cohort
    AND {group_condition}
GROUP BY m.customer_id, m.cohort_index, m.last_index
ORDER BY m.cohort_index, m.customer_id
