-- Today's figures for the retention uplift simulator, over the window [$window_start,
-- $window_end] (the last 12 months of the date range, as for the simple CLV):
--   start_customers  S: in the base on the day before the window;
--   retained         of S, still in the base on the window's last day;
--   end_customers    E: in the base on the window's last day (today's base);
--   new_customers    customers whose first purchase falls in the window;
--   revenue          the window's revenue, net of refunds.
-- A customer is in the base on day t when they have a purchase (amount >= 0) in
-- [t - W, t]: the caller binds $base_at_start_from = the day before the window - W and
-- $base_at_end_from = the window's last day - W.
--
-- Placeholders in curly brackets are filled in by metrics/simulator.py; every user value is
-- a bound $parameter.
WITH
per_customer AS (
    SELECT customer_id,
        MIN(order_date) FILTER (WHERE amount >= 0) AS first_purchase,
        MAX(CASE WHEN amount >= 0 AND order_date BETWEEN $base_at_start_from
                 AND $day_before_window THEN 1 ELSE 0 END) AS in_base_at_start,
        MAX(CASE WHEN amount >= 0 AND order_date >= $base_at_end_from THEN 1 ELSE 0 END)
            AS in_base_at_end,
        SUM(CASE WHEN order_date >= $window_start THEN amount ELSE 0 END) AS revenue
    FROM {orders_table}
    WHERE order_date <= $window_end AND ({segment_filter})
    GROUP BY customer_id
)
SELECT
    CAST(COALESCE(SUM(in_base_at_start), 0) AS BIGINT) AS start_customers,
    CAST(COALESCE(SUM(in_base_at_start * in_base_at_end), 0) AS BIGINT) AS retained_customers,
    CAST(COALESCE(SUM(in_base_at_end), 0) AS BIGINT) AS end_customers,
    CAST(COUNT(*) FILTER (WHERE first_purchase BETWEEN $window_start AND $window_end)
         AS BIGINT) AS new_customers,
    CAST(COALESCE(SUM(revenue), 0) AS DOUBLE) AS revenue
FROM per_customer
