-- A channel's CLV:CAC over the range (metrics/clv/cac.py, clv_cac_table): the channel's
-- simple CLV (sql/clv_simple.sql, the overall one for every channel) over its CAC, the
-- spend ÷ the new customers of the periods with known spend (sql/cac_by_period.sql).
-- Channels match whatever their case and surrounding spaces; NULL is every channel.
SELECT MAX(clv.clv) / NULLIF(SUM(cac.spend) / NULLIF(SUM(cac.new_customers), 0), 0)
        AS clv_cac,
    MAX(clv.clv) AS clv_simple,
    SUM(cac.spend) AS cac_spend,
    CAST(SUM(cac.new_customers) AS BIGINT) AS cac_new_customers
FROM (
{cac_query}) AS cac
JOIN (
{clv_query}) AS clv
    ON LOWER(TRIM(CAST(clv.group_value AS VARCHAR)))
        IS NOT DISTINCT FROM LOWER(TRIM(cac.channel))
WHERE cac.spend IS NOT NULL
    AND LOWER(TRIM(cac.channel)) IS NOT DISTINCT FROM LOWER(TRIM(CAST($explained_channel AS VARCHAR)))
-- no row (not a row of NULLs) for a channel with no known spend or no CLV
HAVING COUNT(*) > 0
