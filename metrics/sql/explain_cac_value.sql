-- One period's and channel's row of the CAC table (metrics/clv/cac.py,
-- sql/cac_by_period.sql): the figure explained and its inputs. The channel matches
-- whatever its case; NULL is every channel.
SELECT {columns}
FROM (
{cac_query}) AS cac
WHERE cac.period_start = $explained_period_start
    AND LOWER(cac.channel) IS NOT DISTINCT FROM LOWER(CAST($explained_channel AS VARCHAR))
