-- One group's loyalty-programme figures (metrics/explain/loyalty.py), as metrics/loyalty.py
-- computes them, over the customers of sql/programme_customers.sql ({customers}): of the
-- members ($explained_member TRUE) or the non-members, the customers, purchases, revenue (net
-- of refunds), customers still in the base at the range's end, purchases with points
-- redeemed and customers who redeemed at least once; of the segment value $explained_group
-- (when the customers are split), its customers and members.
SELECT
    COUNT(*) FILTER (WHERE member = $explained_member) AS programme_customers,
    COALESCE(SUM(purchases) FILTER (WHERE member = $explained_member), 0)
        AS group_purchases,
    COALESCE(SUM(revenue) FILTER (WHERE member = $explained_member), 0) AS group_revenue,
    COUNT(*) FILTER (WHERE member = $explained_member AND in_base_at_end)
        AS group_retained,
    COALESCE(SUM(redeemed_purchases) FILTER (WHERE member = $explained_member), 0)
        AS redeemed_purchases,
    COUNT(*) FILTER (WHERE member = $explained_member AND redeemed_purchases > 0)
        AS group_redeemers,
    COUNT(*) FILTER (WHERE group_value IS NOT DISTINCT FROM CAST($explained_group AS VARCHAR))
        AS enrolment_customers,
    COUNT(*) FILTER (WHERE member
                     AND group_value IS NOT DISTINCT FROM CAST($explained_group AS VARCHAR))
        AS enrolment_members
FROM (
{customers}) AS programme
