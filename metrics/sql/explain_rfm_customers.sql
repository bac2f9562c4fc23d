-- The customers of one RFM segment ($explained_segment) with their recency, frequency and
-- monetary value and their R, F and M scores, highest spend first: the rows behind the
-- segment's figures (their columns total the inputs of sql/explain_rfm_segment.sql).
-- {rfm} is the RFM query (rfm.sql; filled in by metrics/explain/rfm.py).
SELECT customer_id, recency_days, frequency, monetary, r, f, m
FROM (
{rfm}) AS rfm
WHERE segment = $explained_segment
ORDER BY monetary DESC, customer_id
