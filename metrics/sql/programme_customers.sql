-- Loyalty-programme figures of each customer with a purchase (amount >= 0) in
-- [$selection_start, $selection_end]:
--   member              any of their orders up to the range's last day marks them as a
--                       member ({member_order}: the orders' member column says yes, or the
--                       customers table gives a loyalty tier, or points were redeemed,
--                       whichever metrics/loyalty.py chose);
--   purchases, revenue  in the range (revenue net of its refunds), with the total and sum
--                       of squares of the purchase amounts (for Welch's t-test on AOV);
--   redeemed_purchases  purchases in the range with points redeemed ({redeemed});
--   in_base_at_end      the latest purchase is at most W days before the range's last day
--                       ($base_from = that day - W);
--   group_value         the customer's segment value when the enrolment is split.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/loyalty.py; every user value is a bound $parameter.
WITH
history AS (
    SELECT customer_id, order_date, amount,
        order_date >= $selection_start AS in_range,
        {member_order} AS member_order,
        {redeemed} AS redeemed
    FROM {orders_table}
    WHERE order_date <= $selection_end AND ({segment_filter})
),
per_customer AS (
    SELECT customer_id,
        COALESCE(BOOL_OR(member_order), FALSE) AS member,
        COUNT(*) FILTER (WHERE in_range AND amount >= 0) AS purchases,
        COALESCE(SUM(amount) FILTER (WHERE in_range), 0) AS revenue,
        COALESCE(SUM(amount) FILTER (WHERE in_range AND amount >= 0), 0) AS purchase_total,
        COALESCE(SUM(amount * amount) FILTER (WHERE in_range AND amount >= 0), 0)
            AS purchase_squares,
        COUNT(*) FILTER (WHERE in_range AND amount >= 0 AND redeemed) AS redeemed_purchases,
        MAX(order_date) FILTER (WHERE in_range AND amount >= 0) AS last_purchase
    FROM history
    GROUP BY customer_id
    HAVING COUNT(*) FILTER (WHERE in_range AND amount >= 0) > 0
)
SELECT
    c.customer_id,
    c.member,
    CAST(c.purchases AS BIGINT) AS purchases,
    CAST(c.revenue AS DOUBLE) AS revenue,
    CAST(c.purchase_total AS DOUBLE) AS purchase_total,
    CAST(c.purchase_squares AS DOUBLE) AS purchase_squares,
    CAST(c.redeemed_purchases AS BIGINT) AS redeemed_purchases,
    c.last_purchase >= $base_from AS in_base_at_end,
    {group_value} AS group_value
FROM per_customer AS c
{group_join}
ORDER BY c.customer_id
