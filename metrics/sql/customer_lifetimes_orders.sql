-- Customer lifetimes for the survival view (Kaplan & Meier 1958): one row per customer with
-- the days from the day they joined the customer base to the day they left it (event), or
-- to the data's last day when they are still in it (censored), and the customer's group.
-- metrics/survival.py nests a group query (each customer's group) in it, and fills in the
-- placeholders in curly brackets (engine expressions and quoted identifiers); every user
-- value is a bound $parameter.
--
-- Orders-only data (DESIGN.md "Metric definitions"): a customer is in the base from their
-- first purchase until W days after their last one, so the lifetime runs from the first
-- purchase to the last purchase + W. A customer whose last purchase + W is on or after the
-- data's last day is still in the base on that day: censored there. Only customers whose
-- first purchase is in [$start, $end] (NULL = open) are followed.
-- Repeat customers bought on at least two different days (several orders on one day are
-- one purchase). With $from_second_purchase only they are followed, and their lifetime
-- starts on their second purchase day: a one-time customer's lifetime is W by definition,
-- so when half the customers buy once, the median from the first purchase is W itself.
WITH
purchases AS (
    -- refunds (negative amounts) are not purchases; the segment filter is the KPI query's
    SELECT customer_id, order_date,
        DENSE_RANK() OVER (PARTITION BY customer_id ORDER BY order_date) AS purchase_day
    FROM {orders_table}
    WHERE amount >= 0 AND ({segment_filter})
),
spans AS (
    SELECT customer_id,
        MIN(order_date) AS first_day,
        MIN(CASE WHEN purchase_day = 2 THEN order_date END) AS second_day,
        {last_day_in_base} AS last_day_in_base
    FROM purchases
    GROUP BY customer_id
),
lifetimes AS (
    -- first_day: the day the lifetime is measured from
    SELECT customer_id,
        CASE WHEN $from_second_purchase THEN second_day ELSE first_day END AS first_day,
        second_day IS NOT NULL AS repeat_customer,
        LEAST(last_day_in_base, $data_last_day) AS observed_until,
        last_day_in_base < $data_last_day AS event
    FROM spans
    WHERE ($start IS NULL OR first_day >= $start)
        AND ($end IS NULL OR first_day <= $end)
        AND (second_day IS NOT NULL OR NOT $from_second_purchase)
)
SELECT l.customer_id,
    {group_value} AS "group",
    {duration_days} AS duration_days,
    l.event
FROM lifetimes AS l
LEFT JOIN ({customer_groups}) AS g ON g.customer_id = l.customer_id
