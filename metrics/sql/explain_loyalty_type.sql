-- One loyalty type's figures (metrics/explain/loyalty.py), as metrics/loyalty.py's
-- loyalty_type_summary computes them, over the customers of sql/loyalty_types.sql
-- ({customers}: that query, its parameters bound): the type's customers ($explained_group),
-- every typed customer, the type's purchases, revenue (net of refunds) and customers still in
-- the base at the range's end.
SELECT
    COUNT(*) FILTER (WHERE loyalty_type = $explained_group) AS type_customers,
    COUNT(*) AS typed_customers,
    COALESCE(SUM(orders) FILTER (WHERE loyalty_type = $explained_group), 0)
        AS type_purchases,
    COALESCE(SUM(revenue) FILTER (WHERE loyalty_type = $explained_group), 0)
        AS type_revenue,
    COUNT(*) FILTER (WHERE loyalty_type = $explained_group AND in_base_at_end)
        AS type_retained
FROM (
{customers}) AS typed
