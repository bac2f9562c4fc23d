-- The answers of one score ($explained_score) and every 0-10 answer of the date range, from
-- the answers per score of sql/survey_score_distribution.sql ({distribution}, filled in
-- by metrics/explain/survey.py); {value} computes the metric from them.
SELECT {value} AS {metric}, {inputs}
FROM (
    SELECT
        CAST(SUM(CASE WHEN score = $explained_score THEN responses ELSE 0 END) AS BIGINT)
            AS score_answers,
        CAST(SUM(responses) AS BIGINT) AS responses
    FROM (
{distribution}) AS distribution
) AS score
