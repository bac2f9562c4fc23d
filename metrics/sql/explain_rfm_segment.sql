-- One RFM segment's figures and the totals of every scored customer, from the RFM query
-- (rfm.sql, one row per customer with a purchase in the window) that rfm_summary.sql
-- groups by segment, narrowed here to the segment $explained_segment:
--   rfm_customers     the segment's customers;
--   scored_customers  every customer with a purchase in the window;
--   recency_days, frequency, monetary
--                     the sums of the segment customers' days since their last purchase,
--                     purchase days and net revenue (monetary = the segment's revenue);
--   scored_revenue    the net revenue of every scored customer.
-- {value} computes the metric from these columns (metrics/explain/rfm.py); {rfm} is the
-- RFM query (filled in by metrics/explain/rfm.py); every user value is a bound $parameter.
SELECT {value} AS {metric}, {inputs}
FROM (
    SELECT
        CAST(SUM(CASE WHEN segment = $explained_segment THEN 1 ELSE 0 END) AS BIGINT)
            AS rfm_customers,
        CAST(COUNT(*) AS BIGINT) AS scored_customers,
        CAST(SUM(CASE WHEN segment = $explained_segment THEN recency_days END) AS BIGINT)
            AS recency_days,
        CAST(SUM(CASE WHEN segment = $explained_segment THEN frequency END) AS BIGINT)
            AS frequency,
        CAST(COALESCE(SUM(CASE WHEN segment = $explained_segment THEN monetary END), 0)
             AS DOUBLE) AS monetary,
        CAST(SUM(monetary) AS DOUBLE) AS scored_revenue
    FROM (
{rfm}) AS rfm
) AS segment
