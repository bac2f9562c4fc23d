-- The customer lifetimes of the survival view ({lifetimes}: sql/customer_lifetimes_orders.sql
-- or sql/customer_lifetimes_subscriptions.sql, one row per customer in no particular order)
-- ordered by customer id, as metrics.survival.customer_lifetimes returns them. The queries
-- nesting the lifetimes (their counts, the explanations) need no order: sorting every
-- customer was a third of the lifetimes' time on a big shop.
SELECT each_customer.customer_id, each_customer."group", each_customer.duration_days,
    each_customer.event
FROM (
{lifetimes}) AS each_customer
ORDER BY each_customer.customer_id
