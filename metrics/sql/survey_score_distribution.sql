-- How many responses gave each score from 0 to 10 (zero for a score no one gave).
--
-- Placeholders in curly brackets are filled in by metrics/satisfaction.py; every user
-- value is a bound $parameter.
WITH
{responses},
scores AS (
    SELECT {score_series}
)
SELECT s.score, COUNT(r.nps_score) AS responses
FROM scores AS s
LEFT JOIN responses AS r ON r.nps_score = s.score
GROUP BY s.score
ORDER BY s.score
