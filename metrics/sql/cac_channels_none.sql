-- No acquisition channel is known (metrics/clv/cac.py): no customer has one, so every new
-- customer counts in the all-channels total only.
SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS channel
WHERE FALSE
