-- The customers without a value of a segment split (none in their group row, or no row):
-- a condition on customer_id that narrows a KPI query to whole customers
-- (metrics/kpis.py). {groups} selects customer_id, group_value (metrics/query/segments.py).
customer_id NOT IN (
    SELECT customer_id FROM ({groups}
    ) AS g
    WHERE g.group_value IS NOT NULL
)
