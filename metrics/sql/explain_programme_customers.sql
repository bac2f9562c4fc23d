-- The customers behind one group's loyalty-programme figures (metrics/explain/loyalty.py):
-- the rows of sql/programme_customers.sql ({customers}) that {row_condition} keeps (the
-- members or non-members, $explained_member; or a segment value's customers,
-- $explained_group), with 0/1 and sum columns whose totals are the figures' inputs.
SELECT customer_id, group_value,
    CASE WHEN member THEN 1 ELSE 0 END AS enrolment_members,
    1 AS enrolment_customers,
    1 AS programme_customers,
    purchases AS group_purchases,
    revenue AS group_revenue,
    CASE WHEN in_base_at_end THEN 1 ELSE 0 END AS group_retained,
    redeemed_purchases,
    CASE WHEN redeemed_purchases > 0 THEN 1 ELSE 0 END AS group_redeemers
FROM (
{customers}) AS programme
WHERE {row_condition}
ORDER BY customer_id
