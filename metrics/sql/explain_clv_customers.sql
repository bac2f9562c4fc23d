-- The customers behind a simple CLV (metrics/clv/simple.py), of all customers or of one
-- group: each one's purchases (orders) and revenue in the window, 1 if they bought in it
-- (customers), 1 if in the base the day before it (start_customers) and 1 if still in the
-- base on its last day too (retained_customers), so that the columns total the CLV's
-- counts and sums. Runs over the CTE customer_figures of sql/clv_simple_customers.sql;
-- {group_value} and {group_join} are those of the CLV query.
SELECT c.customer_id,
    CASE WHEN c.orders > 0 THEN 1 ELSE 0 END AS customers,
    CAST(c.orders AS BIGINT) AS orders,
    CAST(c.revenue AS DOUBLE) AS revenue,
    c.in_base_at_start AS start_customers,
    c.in_base_at_start * c.in_base_at_end AS retained_customers
FROM customer_figures AS c
{group_join}
WHERE CAST({group_value} AS VARCHAR) IS NOT DISTINCT FROM $explained_group
    AND (c.orders > 0 OR c.in_base_at_start = 1 OR c.revenue <> 0)
ORDER BY c.customer_id
