-- Each customer's acquisition channel for the CAC (metrics/clv/cac.py), from the customers
-- table's acquisition_channel column. {customers_table} is the quoted customers table.
SELECT customer_id, MIN(CAST("acquisition_channel" AS VARCHAR)) AS channel
FROM {customers_table}
GROUP BY customer_id
