-- The answers behind a CLI (metrics/explain.py): every response of the explained period
-- that answers all three 1-6 questions, with its CLI (the mean of the three), so the
-- answers count n and their CLIs average to the CLI of sql/survey_by_period.sql.
--
-- Placeholders in curly brackets are the responses CTE (sql/survey_responses.sql) and a
-- constant condition filled in by metrics/explain.py; every user value is a bound
-- $parameter.
WITH
{responses}
SELECT response_date, customer_id, cli_q1, cli_q2, cli_q3,
    (cli_q1 + cli_q2 + cli_q3) / 3.0 AS cli_score
FROM responses
WHERE ({period_condition}) AND cli_q1 IS NOT NULL AND cli_q2 IS NOT NULL
    AND cli_q3 IS NOT NULL
ORDER BY response_date, customer_id
