-- The verbatim comments of the responses, newest first, optionally of one NPS group and
-- containing a search text (case-insensitive; the text's % and _ are escaped, so they
-- match themselves).
--
-- Placeholders in curly brackets are filled in by metrics/satisfaction.py; every user
-- value is a bound $parameter.
WITH
{responses}
SELECT response_date, nps_score, score_group, csat_score, customer_id, comment{extras}
FROM responses
WHERE comment IS NOT NULL AND trim(comment) <> ''{conditions}
ORDER BY response_date DESC, nps_score, comment
