-- The lines behind a CAC (metrics/clv/cac.py) of one channel or of all (NULL): the spend
-- lines (cac_spend, no customer) and the customers acquired (cac_new_customers = 1) in
-- the periods explained ({period_condition}), so that the columns total the inputs. Runs
-- over the CTEs acquired and spend of sql/cac_lines.sql.
SELECT spend_date AS day, CAST(NULL AS VARCHAR) AS customer_id, channel,
    CAST(amount AS DOUBLE) AS cac_spend, 0 AS cac_new_customers
FROM spend
WHERE ({period_condition})
    AND ($explained_channel IS NULL OR LOWER(channel) = LOWER(CAST($explained_channel AS VARCHAR)))
UNION ALL
SELECT first_day, CAST(customer_id AS VARCHAR), channel, 0.0, 1
FROM acquired
WHERE ({period_condition})
    AND ($explained_channel IS NULL OR LOWER(channel) = LOWER(CAST($explained_channel AS VARCHAR)))
ORDER BY day, customer_id
