-- RFM per customer: recency, frequency and monetary value over the selection's
-- days [$window_start, $window_end] (the filter's date range widened to whole periods),
-- their scores 1-5 and the named segment the scores fall in.
--   recency_days  days from the customer's last purchase in the window to $reference_day
--                 (the window's last day, or the data's last order day if earlier);
--   frequency     distinct purchase days in the window (several orders on one day count
--                 once; refunds, negative amounts, are not purchases);
--   monetary      net revenue in the window (refunds subtracted).
-- Only customers with a purchase in the window have a row. Scores are quintiles of the
-- customers, 5 = best (most recent, most frequent, highest spend):
--   score = 1 + floor(5 x (rank - 1) / customers), rank = RANK() from the worst value,
-- so tied customers share the rank of the first place they hold, hence one score
-- (NTILE would split a tie arbitrarily). Monetary is ranked on the exact decimal sum.
--
-- Placeholders in curly brackets are a quoted table name, engine expressions and the
-- segment rule CASE built from RFM_RULES (metrics/query/rfm.py); {p} is the parameter
-- prefix that keeps this query's parameters apart when it is nested in another (the RFM
-- segment filter nests it as a subquery); every user value is a bound $parameter.
WITH
filtered AS (
    SELECT customer_id, order_date, amount
    FROM {orders_table}
    WHERE order_date BETWEEN ${p}window_start AND ${p}window_end AND ({segment_filter})
),
figures AS (
    SELECT customer_id,
        MAX(CASE WHEN amount >= 0 THEN order_date END) AS last_purchase,
        COUNT(DISTINCT CASE WHEN amount >= 0 THEN order_date END) AS frequency,
        SUM(amount) AS monetary
    FROM filtered
    GROUP BY customer_id
    HAVING COUNT(CASE WHEN amount >= 0 THEN 1 END) > 0
),
scored AS (
    SELECT customer_id, last_purchase, frequency, monetary,
        1 + CAST(floor(5.0 * (RANK() OVER (ORDER BY last_purchase) - 1)
                       / COUNT(*) OVER ()) AS INTEGER) AS r,
        1 + CAST(floor(5.0 * (RANK() OVER (ORDER BY frequency) - 1)
                       / COUNT(*) OVER ()) AS INTEGER) AS f,
        1 + CAST(floor(5.0 * (RANK() OVER (ORDER BY monetary) - 1)
                       / COUNT(*) OVER ()) AS INTEGER) AS m
    FROM figures
)
SELECT customer_id,
    {recency_days} AS recency_days,
    CAST(frequency AS BIGINT) AS frequency,
    CAST(monetary AS DOUBLE) AS monetary,
    r, f, m,
    {segment_of_scores} AS segment
FROM scored
