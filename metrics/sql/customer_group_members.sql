-- The customers whose value of a segment split is $group_value: a condition on
-- customer_id that narrows a KPI query to whole customers (metrics/kpis.py).
-- {groups} selects customer_id, group_value (metrics/query/segments.py).
customer_id IN (
    SELECT customer_id FROM ({groups}
    ) AS g
    WHERE g.group_value = CAST($group_value AS VARCHAR)
)
