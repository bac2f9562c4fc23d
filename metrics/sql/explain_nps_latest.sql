-- The NPS of each customer's latest answer (metrics/satisfaction.py: nps_latest_answers):
-- its counts ({latest}: sql/survey_latest_answers.sql over sql/survey_latest.sql, filled
-- in by metrics/explain/survey.py), the value computed by {value} and its inputs.
SELECT {value} AS {metric}, {inputs}
FROM (
{latest}) AS latest_answers
