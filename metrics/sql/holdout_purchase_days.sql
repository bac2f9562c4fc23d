-- The purchase days behind the holdout validation (sql/holdout_purchases.sql): each
-- customer's purchase days up to the holdout end (purchase_days) and the customers
-- whose first purchase is on or before the calibration end (calibration_customers).
-- CTEs, shared by the weekly counts and the rows behind one week
-- (sql/explain_clv_holdout_purchases.sql).
purchase_days AS (
    SELECT DISTINCT customer_id, order_date
    FROM {orders_table}
    WHERE amount >= 0 AND order_date <= CAST($holdout_end AS DATE) AND ({segment_filter})
),
calibration_customers AS (
    SELECT customer_id
    FROM purchase_days
    GROUP BY customer_id
    HAVING MIN(order_date) <= CAST($calibration_end AS DATE)
)
