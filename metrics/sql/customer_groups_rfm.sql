-- Each customer's RFM segment over the selection. Columns: customer_id, group_value.
-- {rfm} is the RFM query (rfm.sql, one row per customer; filled in by
-- metrics/query/segments.py).
SELECT customer_id, segment AS group_value
FROM (
{rfm}) AS rfm
