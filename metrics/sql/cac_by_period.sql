-- Customer acquisition cost (DESIGN.md "Metric definitions": CAC = marketing spend / new
-- customers, by period and channel): per period of the range, one row for all channels
-- (channel NULL: all the spend, with or without a channel, over all new customers) and
-- one per channel (its spend over the new customers acquired through it).
--
-- A new customer of a period is one whose first purchase (amount >= 0; refunds are not
-- purchases) falls in it. Their channel (that of the first purchase, or the customers
-- table's acquisition channel) comes from the nested acquisition-channels query, NULL
-- when unknown. Spend counts in the period of its date. Channels match without regard to
-- case and surrounding spaces, and are shown as the spend file writes them. A period
-- without any spend row has no known spend (NULL), not a spend of 0.
--
-- The CTEs firsts, acquired and spend come from sql/cac_lines.sql.
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/clv/cac.py; every user value is a bound $parameter.
channels AS (
    -- every channel with spend or new customers in the range, named as the spend file
    -- names it when it has spend
    SELECT LOWER(channel) AS channel_key,
        COALESCE(MIN(CASE WHEN from_spend = 1 THEN channel END), MIN(channel)) AS channel
    FROM (
        SELECT channel, 1 AS from_spend FROM spend
        UNION ALL
        SELECT channel, 0 AS from_spend FROM acquired
    ) AS named
    WHERE channel IS NOT NULL
    GROUP BY LOWER(channel)
),
spend_totals AS (
    SELECT period_index, CAST(NULL AS VARCHAR) AS channel_key, SUM(amount) AS spend
    FROM spend
    GROUP BY period_index
    UNION ALL
    SELECT period_index, LOWER(channel), SUM(amount)
    FROM spend
    WHERE channel IS NOT NULL
    GROUP BY period_index, LOWER(channel)
),
new_totals AS (
    SELECT period_index, CAST(NULL AS VARCHAR) AS channel_key, COUNT(*) AS new_customers
    FROM acquired
    GROUP BY period_index
    UNION ALL
    SELECT period_index, LOWER(channel), COUNT(*)
    FROM acquired
    WHERE channel IS NOT NULL
    GROUP BY period_index, LOWER(channel)
),
periods AS (
    SELECT {period_series}
),
covered AS (
    -- the periods the spend data reaches
    SELECT DISTINCT period_index FROM spend
),
cells AS (
    SELECT period_index, CAST(NULL AS VARCHAR) AS channel_key,
        CAST(NULL AS VARCHAR) AS channel, 0 AS channel_order
    FROM periods
    UNION ALL
    SELECT p.period_index, c.channel_key, c.channel, 1
    FROM periods AS p
    CROSS JOIN channels AS c
),
figures AS (
    SELECT c.period_index, c.channel, c.channel_order, c.channel_key,
        CASE WHEN v.period_index IS NOT NULL THEN COALESCE(s.spend, 0) END AS spend,
        COALESCE(n.new_customers, 0) AS new_customers
    FROM cells AS c
    LEFT JOIN covered AS v ON v.period_index = c.period_index
    LEFT JOIN spend_totals AS s ON s.period_index = c.period_index
        AND s.channel_key IS NOT DISTINCT FROM c.channel_key
    LEFT JOIN new_totals AS n ON n.period_index = c.period_index
        AND n.channel_key IS NOT DISTINCT FROM c.channel_key
)
SELECT
    {period_start} AS period_start,
    {period_end} AS period_end,
    channel,
    CAST(spend AS DOUBLE) AS spend,
    CAST(new_customers AS BIGINT) AS new_customers,
    CAST(spend AS DOUBLE) / NULLIF(new_customers, 0) AS cac,
    ({period_start} >= $data_first_day AND {period_end} <= $data_last_day) AS complete
FROM figures
ORDER BY period_index, channel_order, channel_key
