-- Customers, net revenue and average recency, frequency and monetary value per RFM
-- segment. {rfm} is the RFM query (rfm.sql, one row per customer; filled in by
-- metrics/rfm.py).
SELECT segment,
    COUNT(*) AS customers,
    SUM(monetary) AS revenue,
    AVG(recency_days) AS avg_recency_days,
    AVG(frequency) AS avg_frequency,
    AVG(monetary) AS avg_monetary
FROM (
{rfm}) AS rfm
GROUP BY segment
