-- Holdout validation of the purchase model: repeat purchase days per week after the
-- calibration end (week 1 = the 7 days after it), of the customers whose first purchase
-- is on or before the calibration end, up to the holdout end. Several orders of a customer
-- on one day are one purchase day; refunds (negative amounts) are not purchases; the
-- segment filter is the KPI query's. The CTEs purchase_days and calibration_customers
-- come from sql/holdout_purchase_days.sql. Placeholders in curly brackets are a quoted table
-- name and engine expressions filled in by metrics/clv/predictive.py; values are bound.
SELECT CAST(FLOOR(({days_after_calibration} - 1) / 7.0) AS BIGINT) + 1 AS week,
    COUNT(*) AS actual_purchases
FROM purchase_days AS d
JOIN calibration_customers AS c ON c.customer_id = d.customer_id
WHERE d.order_date > CAST($calibration_end AS DATE)
GROUP BY 1
ORDER BY 1
