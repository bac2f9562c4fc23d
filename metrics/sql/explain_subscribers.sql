-- The subscribers behind one period's figures of the customer base from subscriptions
-- (sql/subscription_base.sql): every customer with a subscription, with 0/1 columns for
-- being in the base on the day before the period (start_customers, S), on its measuring
-- day (end_customers, E), on both (retained_customers) or only the first
-- (lost_customers), and for a first subscription starting in it (new_customers, N), so
-- the columns total the period's figures; {row_condition} keeps the customers behind the
-- explained figure. The CTEs are those of sql/subscription_base_ctes.sql.
SELECT customer_id, first_start, start_customers, new_customers, end_customers,
    start_customers * end_customers AS retained_customers,
    start_customers * (1 - end_customers) AS lost_customers
FROM (
    SELECT firsts.customer_id, firsts.first_start,
        CAST(s.customer_id IS NOT NULL AS INTEGER) AS start_customers,
        CAST({period_of_first_start} = $explained_index AS INTEGER) AS new_customers,
        CAST(e.customer_id IS NOT NULL AS INTEGER) AS end_customers
    FROM (SELECT customer_id, MIN(start_date) AS first_start FROM subscriptions
          GROUP BY customer_id) AS firsts
    LEFT JOIN in_base AS s
        ON s.customer_id = firsts.customer_id AND s.period_index = $explained_index - 1
    LEFT JOIN in_base AS e
        ON e.customer_id = firsts.customer_id AND e.period_index = $explained_index
) AS subscribers
WHERE {row_condition}
ORDER BY customer_id
