-- One week's actual repeat purchase days of the holdout validation
-- (metrics/clv/predictive.py, sql/holdout_purchases.sql): 0 for a week without any.
SELECT CAST(COALESCE(SUM(actual_purchases), 0) AS BIGINT) AS clv_holdout_actual,
    CAST(COALESCE(SUM(actual_purchases), 0) AS BIGINT) AS purchase_days
FROM (
{holdout_query}) AS weeks
WHERE week = $explained_week
