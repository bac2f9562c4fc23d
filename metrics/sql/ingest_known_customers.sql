-- How many of an uploaded file's rows (file_customers, their customer ids) name a customer
-- of a dataset, and how many rows there are: count(known ids), count(rows).
-- {dataset_customer_ids} selects the customer_id of every row of the dataset's orders and
-- customers tables (filled in by metrics/ingest.py).
SELECT count(known.customer_id), count(*)
FROM file_customers
LEFT JOIN (
    SELECT DISTINCT customer_id FROM ({dataset_customer_ids}) AS ids
) AS known USING (customer_id)
