-- The number of customers of each group, lifetime in days and outcome (left or censored)
-- of the customer-lifetime query ({lifetimes}: sql/customer_lifetimes_orders.sql or
-- sql/customer_lifetimes_subscriptions.sql, one row per customer): all the Kaplan-Meier
-- estimate needs (metrics.survival.kaplan_meier), a few thousand rows instead of one a
-- customer.
SELECT each_customer."group", each_customer.duration_days, each_customer.event,
    COUNT(*) AS customers
FROM (
{lifetimes}) AS each_customer
GROUP BY each_customer."group", each_customer.duration_days, each_customer.event
ORDER BY each_customer."group" NULLS LAST, each_customer.duration_days, each_customer.event
