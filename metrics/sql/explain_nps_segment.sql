-- The NPS of one segment value ($explained_value; '' for answers without one) over the
-- whole date range: the per-period counts split by the segment (sql/survey_by_period.sql,
-- {survey}, filled in by metrics/explain/survey.py) added up over the periods, as
-- metrics/satisfaction.py's nps_by_segment adds them; {value} computes the metric.
SELECT {value} AS {metric}, {inputs}
FROM (
    SELECT
        CAST(SUM(responses) AS BIGINT) AS responses,
        CAST(SUM(promoters) AS BIGINT) AS promoters,
        CAST(SUM(detractors) AS BIGINT) AS detractors
    FROM (
{survey}) AS periods
    WHERE COALESCE(group_value, '') = $explained_value
) AS segment
