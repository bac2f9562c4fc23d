-- Customer summary for the predictive CLV models (BG/NBD and Gamma-Gamma): one row per
-- customer whose first purchase is on or before the calibration end, with
--   frequency        repeat purchase days up to the calibration end (several orders on one
--                    day count once; the first purchase day is not a repeat),
--   recency_days     days from the first to the last purchase day up to the calibration end,
--   age_days         days from the first purchase day to the calibration end (T in days),
--   repeat_value     the total of the repeat purchase days (0 without repeats),
--   holdout_frequency purchase days after the calibration end up to the holdout end
--                    (0 when $holdout_end is NULL).
-- The definitions are those of lifetimes.utils.summary_data_from_transaction_data with
-- freq="D" (Davidson-Pilon et al.); metrics/clv/summary.py turns days into weeks and the
-- total into a mean. Refunds (negative amounts) are not purchases and are left out; the
-- segment filter is the KPI query's. Placeholders in curly brackets are a quoted table
-- name and engine expressions filled in by metrics/clv/summary.py; every value is a bound
-- $parameter.
WITH
purchase_days AS (
    -- each customer's purchase days with the day's total
    SELECT customer_id, order_date, SUM(amount) AS day_value
    FROM {orders_table}
    WHERE amount >= 0
        AND order_date <= COALESCE(CAST($holdout_end AS DATE), CAST($calibration_end AS DATE))
        AND ({segment_filter})
    GROUP BY customer_id, order_date
),
calibration AS (
    SELECT customer_id,
        MIN(order_date) AS first_day,
        MAX(order_date) AS last_day,
        COUNT(*) - 1 AS frequency,
        SUM(day_value) AS total_value
    FROM purchase_days
    WHERE order_date <= CAST($calibration_end AS DATE)
    GROUP BY customer_id
),
holdout AS (
    SELECT customer_id, COUNT(*) AS holdout_frequency
    FROM purchase_days
    WHERE order_date > CAST($calibration_end AS DATE)
    GROUP BY customer_id
),
first_day_values AS (
    SELECT p.customer_id, p.day_value AS first_value
    FROM purchase_days AS p
    JOIN calibration AS c ON c.customer_id = p.customer_id AND p.order_date = c.first_day
)
SELECT c.customer_id,
    c.frequency,
    {recency_days} AS recency_days,
    {age_days} AS age_days,
    CAST(c.total_value - f.first_value AS DOUBLE) AS repeat_value,
    COALESCE(h.holdout_frequency, 0) AS holdout_frequency
FROM calibration AS c
JOIN first_day_values AS f ON f.customer_id = c.customer_id
LEFT JOIN holdout AS h ON h.customer_id = c.customer_id
ORDER BY c.customer_id
