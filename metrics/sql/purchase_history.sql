-- Each order's place in its customer's purchase history, stored with the orders at ingest
-- so that cohort and activity queries need no pass over every customer's history:
--   first_purchase_on     the customer's first purchase day (their acquisition);
--   previous_purchase_on  the day of the customer's purchase before this one (NULL for the
--                         first); an order is its customer's first purchase of a period
--                         exactly when the previous purchase lies in an earlier period;
--   next_purchase_on      likewise the day of the purchase after this one (NULL for the
--                         last): an order is the last of a period when the next is later.
-- Refunds (negative amounts) are not purchases: their previous and next are NULL.
-- Several orders on one day: one of them gets the earlier day, the others that same day.
CREATE TABLE {history_table} AS
SELECT *,
    MIN(CASE WHEN amount >= 0 THEN order_date END) OVER (PARTITION BY customer_id)
        AS first_purchase_on,
    CASE WHEN amount >= 0 THEN
        LAG(order_date) OVER (PARTITION BY customer_id, amount >= 0 ORDER BY order_date)
    END AS previous_purchase_on,
    CASE WHEN amount >= 0 THEN
        LEAD(order_date) OVER (PARTITION BY customer_id, amount >= 0 ORDER BY order_date)
    END AS next_purchase_on
FROM {orders_table}
ORDER BY customer_id, order_date
