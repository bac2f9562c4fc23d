-- Customer summary for the predictive CLV models (BG/NBD and Gamma-Gamma): one row per
-- customer whose first purchase is on or before the calibration end, with
--   frequency          repeat purchase days up to the calibration end (several orders on
--                      one day count once; the first purchase day is not a repeat),
--   recency_days       days from the first to the last purchase day up to the calibration
--                      end,
--   age_days           days from the first purchase day to the calibration end (T in days),
--   repeat_value       the total of the repeat purchase days up to the calibration end,
--   holdout_frequency  purchase days after the calibration end up to the holdout end (0
--                      when $holdout_end is NULL).
-- The definitions are those of lifetimes.utils.summary_data_from_transaction_data with
-- freq="D" (a day's orders are one purchase worth their total); metrics/clv/summary.py
-- turns days into weeks and the total into a mean. Refunds (negative amounts) are not
-- purchases and are left out; the segment filter is the KPI query's. Placeholders in
-- curly brackets are a quoted table name and engine expressions filled in by
-- metrics/clv/summary.py; every value is a bound $parameter.
purchase_days AS (
    -- each customer's purchase days with the day's total
    SELECT customer_id, order_date, SUM(amount) AS day_value
    FROM {orders_table}
    WHERE amount >= 0
        AND order_date <= COALESCE(CAST($holdout_end AS DATE), CAST($calibration_end AS DATE))
        AND ({segment_filter})
    GROUP BY customer_id, order_date
),
first_days AS (
    SELECT customer_id, MIN(order_date) AS first_day
    FROM purchase_days
    GROUP BY customer_id
    HAVING MIN(order_date) <= CAST($calibration_end AS DATE)
),
histories AS (
    SELECT f.customer_id,
        f.first_day,
        MAX(CASE WHEN d.order_date <= CAST($calibration_end AS DATE) THEN d.order_date END)
            AS last_day,
        SUM(CASE WHEN d.order_date > f.first_day
            AND d.order_date <= CAST($calibration_end AS DATE) THEN 1 ELSE 0 END) AS frequency,
        SUM(CASE WHEN d.order_date > f.first_day
            AND d.order_date <= CAST($calibration_end AS DATE) THEN d.day_value ELSE 0 END)
            AS repeat_value,
        SUM(CASE WHEN d.order_date > CAST($calibration_end AS DATE) THEN 1 ELSE 0 END)
            AS holdout_frequency
    FROM first_days AS f
    JOIN purchase_days AS d ON d.customer_id = f.customer_id
    GROUP BY f.customer_id, f.first_day
)
