-- What one NPS group ($explained_group) did in one window ($explained_months months after
-- answering): its row of sql/survey_behaviour.sql ({behaviour}, filled in by
-- metrics/explain/survey.py), zero when the group has no answers; {value} computes the
-- metric from the answers followed, those who ordered again and their net revenue.
SELECT {value} AS {metric}, {inputs}
FROM (
    SELECT
        CAST(COALESCE(SUM(followed), 0) AS BIGINT) AS followed,
        CAST(COALESCE(SUM(ordered_again), 0) AS BIGINT) AS ordered_again,
        CAST(COALESCE(SUM(revenue), 0) AS DOUBLE) AS revenue
    FROM (
{behaviour}) AS behaviour
    WHERE score_group = $explained_group AND window_months = $explained_months
) AS chosen
