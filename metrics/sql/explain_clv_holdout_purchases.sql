-- The purchase days behind one week of the holdout validation (metrics/clv/predictive.py):
-- each repeat purchase day in week $explained_week after the calibration end of a customer
-- acquired on or before it, 1 each (purchase_days). Runs over the CTEs of
-- sql/holdout_purchase_days.sql.
SELECT d.customer_id, d.order_date, 1 AS purchase_days
FROM purchase_days AS d
JOIN calibration_customers AS c ON c.customer_id = d.customer_id
WHERE d.order_date > CAST($calibration_end AS DATE)
    AND CAST(FLOOR(({days_after_calibration} - 1) / 7.0) AS BIGINT) + 1 = $explained_week
ORDER BY d.order_date, d.customer_id
