-- Each customer's figures behind the simple CLV (sql/clv_simple.sql): revenue and
-- purchases in the window [$window_start, $window_end], and whether they are in the base
-- (a purchase in [t - W, t]) the day before the window and on its last day. CTEs, shared
-- by the CLV query and the customers behind it (sql/explain_clv_customers.sql).
filtered AS (
    -- only what the window and the base at its start need
    SELECT customer_id, order_date, amount
    FROM {orders_table}
    WHERE order_date BETWEEN $base_at_start_from AND $window_end AND ({segment_filter})
),
customer_figures AS (
    SELECT customer_id,
        SUM(CASE WHEN order_date >= $window_start THEN amount ELSE 0 END) AS revenue,
        SUM(CASE WHEN order_date >= $window_start AND amount >= 0 THEN 1 ELSE 0 END)
            AS orders,
        MAX(CASE WHEN amount >= 0 AND order_date <= $day_before_window THEN 1 ELSE 0 END)
            AS in_base_at_start,
        MAX(CASE WHEN amount >= 0 AND order_date >= $base_at_end_from THEN 1 ELSE 0 END)
            AS in_base_at_end
    FROM filtered
    GROUP BY customer_id
)
