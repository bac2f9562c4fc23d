-- The answers behind an NPS (metrics/explain.py): every answer with a 0-10 score of the
-- explained period (or of the whole range), with its NPS group and one 0/1 column for
-- promoters (9-10) and detractors (0-6), so the answers count n and the columns total the
-- promoters and detractors of sql/survey_by_period.sql.
--
-- Placeholders in curly brackets are the responses CTE (sql/survey_responses.sql) and a
-- constant condition filled in by metrics/explain.py; every user value is a bound
-- $parameter.
WITH
{responses}
SELECT response_date, customer_id, nps_score, score_group,
    CASE WHEN score_group = 'promoter' THEN 1 ELSE 0 END AS promoters,
    CASE WHEN score_group = 'detractor' THEN 1 ELSE 0 END AS detractors
FROM responses
WHERE ({period_condition}) AND nps_score IS NOT NULL
ORDER BY response_date, customer_id
