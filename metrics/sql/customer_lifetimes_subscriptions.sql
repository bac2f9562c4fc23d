-- Customer lifetimes for the survival view (Kaplan & Meier 1958): one row per customer with
-- the days from the day they joined the customer base to the day they left it (event), or
-- to the data's last day when they are still in it (censored), and the customer's group.
-- metrics/survival.py nests a group query (each customer's group) in it, and fills in the
-- placeholders in curly brackets (engine expressions and quoted identifiers); every user
-- value is a bound $parameter.
--
-- Subscription data: a customer is in the base from their first start date; they have left
-- once every subscription of theirs has an end date, on the last of those (event); with a
-- subscription still open they are censored at the data's last day, the latest start or
-- end date in the table. Only customers whose first start is in [$start, $end] are followed.
WITH
data_end AS (
    SELECT GREATEST(MAX(start_date), COALESCE(MAX({end_date}), MAX(start_date))) AS last_day
    FROM {subscriptions_table}
),
spans AS (
    SELECT customer_id,
        MIN(start_date) AS first_day,
        MAX({end_date}) AS last_end,
        COUNT(*) - COUNT({end_date}) AS open_subscriptions
    FROM {subscriptions_table}
    WHERE {customer_filter}
    GROUP BY customer_id
),
lifetimes AS (
    SELECT s.customer_id, s.first_day,
        CASE WHEN s.open_subscriptions = 0 THEN s.last_end ELSE d.last_day END
            AS observed_until,
        s.open_subscriptions = 0 AS event
    FROM spans AS s
    CROSS JOIN data_end AS d
    WHERE ($start IS NULL OR s.first_day >= $start)
        AND ($end IS NULL OR s.first_day <= $end)
)
SELECT l.customer_id,
    g.group_value AS "group",
    -- an end before the start is a data error: it counts as a zero-day lifetime
    GREATEST({duration_days}, 0) AS duration_days,
    l.event
FROM lifetimes AS l
LEFT JOIN ({customer_groups}) AS g ON g.customer_id = l.customer_id
