-- The answers behind a CSAT (metrics/explain.py): every 1-5 answer of the explained
-- period, with a 0/1 column for the satisfied (4 or 5), so the answers count n and the
-- column totals the satisfied of sql/survey_by_period.sql.
--
-- Placeholders in curly brackets are the responses CTE (sql/survey_responses.sql) and a
-- constant condition filled in by metrics/explain.py; every user value is a bound
-- $parameter.
WITH
{responses}
SELECT response_date, customer_id, csat_score,
    CASE WHEN csat_score >= 4 THEN 1 ELSE 0 END AS satisfied
FROM responses
WHERE ({period_condition}) AND csat_score IS NOT NULL
ORDER BY response_date, customer_id
