-- The values of a segment split among the customers with a purchase that the segment
-- filter keeps, with NULL for the customers without a value, most customers first: the
-- groups of a KPI table split by customer (metrics/kpis.py, kpi_table's "by").
-- {groups} selects customer_id, group_value (metrics/query/segments.py,
-- customer_groups_sql); the other placeholders are filled in by metrics/query/orders.py.
SELECT g.group_value
FROM (
    SELECT DISTINCT customer_id
    FROM {orders_table}
    WHERE amount >= 0 AND ({segment_filter})
) AS c
LEFT JOIN ({groups}
) AS g ON g.customer_id = c.customer_id
GROUP BY g.group_value
ORDER BY COUNT(*) DESC, g.group_value
