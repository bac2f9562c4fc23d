-- Each customer's group when the customers are not split: none (every customer is in the
-- one group NULL, which a LEFT JOIN on this empty query gives).
SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS VARCHAR) AS group_value
WHERE FALSE
