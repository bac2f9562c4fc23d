-- The answers behind the NPS of the latest answers (metrics/explain/survey.py): each
-- customer's latest answer (latest, sql/survey_latest.sql) with one 0/1 column for
-- promoters (9-10) and detractors (0-6), so the rows count n and the columns total the
-- promoters and detractors of sql/survey_latest_answers.sql.
SELECT response_date, customer_id, nps_score,
    CASE WHEN nps_score >= 9 THEN 1 ELSE 0 END AS promoters,
    CASE WHEN nps_score <= 6 THEN 1 ELSE 0 END AS detractors
FROM latest
ORDER BY response_date, customer_id
