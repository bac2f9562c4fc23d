-- Each customer's acquisition channel for the CAC (metrics/clv/cac.py): the channel of
-- their first purchase day (refunds are not purchases; the alphabetically first channel
-- if that day has several). {orders_table} is the quoted orders table.
SELECT customer_id, MIN(channel) AS channel
FROM (
    SELECT customer_id, order_date, CAST("channel" AS VARCHAR) AS channel,
        MIN(order_date) OVER (PARTITION BY customer_id) AS first_day
    FROM {orders_table}
    WHERE amount >= 0
) AS purchases
WHERE order_date = first_day
GROUP BY customer_id
