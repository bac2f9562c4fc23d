-- The customer summary rows from the CTE histories (sql/customer_summary*.sql): one row
-- per customer, ordered by id, days between first and last purchase day and to the
-- calibration end.
SELECT customer_id,
    frequency,
    {recency_days} AS recency_days,
    {age_days} AS age_days,
    CAST(repeat_value AS DOUBLE) AS repeat_value,
    holdout_frequency
FROM histories
ORDER BY customer_id
