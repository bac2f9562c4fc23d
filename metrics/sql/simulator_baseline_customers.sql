-- The customers behind the retention uplift simulator's baseline (metrics/simulator.py), as
-- CTEs that sql/simulator_baseline.sql and sql/explain_simulator_customers.sql read: each
-- customer with an order up to the window's last day, with one 0/1 column per count of the
-- window [$window_start, $window_end] (the last 12 months of the date range, as for the
-- simple CLV), so that each count is its column's total:
--   start_customers     S: in the base on the day before the window;
--   retained_customers  of S, still in the base on the window's last day;
--   end_customers       E: in the base on the window's last day (today's base);
--   new_customers       their first purchase falls in the window;
--   revenue             their revenue in the window, net of refunds.
-- A customer is in the base on day t when they have a purchase (amount >= 0) in
-- [t - W, t]: the caller binds $base_at_start_from = the day before the window - W and
-- $base_at_end_from = the window's last day - W.
--
-- Placeholders in curly brackets are filled in by metrics/simulator.py; every user value is
-- a bound $parameter.
per_customer AS (
    SELECT customer_id,
        MIN(order_date) FILTER (WHERE amount >= 0) AS first_purchase,
        MAX(order_date) FILTER (WHERE amount >= 0) AS latest_purchase,
        MAX(CASE WHEN amount >= 0 AND order_date BETWEEN $base_at_start_from
                 AND $day_before_window THEN 1 ELSE 0 END) AS in_base_at_start,
        MAX(CASE WHEN amount >= 0 AND order_date >= $base_at_end_from THEN 1 ELSE 0 END)
            AS in_base_at_end,
        SUM(CASE WHEN order_date >= $window_start THEN amount ELSE 0 END) AS revenue
    FROM {orders_table}
    WHERE order_date <= $window_end AND ({segment_filter})
    GROUP BY customer_id
),
baseline_customers AS (
    SELECT customer_id, first_purchase, latest_purchase,
        in_base_at_start AS start_customers,
        in_base_at_start * in_base_at_end AS retained_customers,
        in_base_at_end AS end_customers,
        CASE WHEN first_purchase BETWEEN $window_start AND $window_end THEN 1 ELSE 0 END
            AS new_customers,
        CAST(revenue AS DOUBLE) AS revenue
    FROM per_customer
)
