-- NPS over the whole date range from each customer's latest answer (a customer who
-- answered three times counts once, with the latest score; two answers on the same day:
-- the lower score). A response without a customer id cannot be matched to others, so it
-- counts on its own.
--
-- Placeholders in curly brackets are filled in by metrics/satisfaction.py; every user
-- value is a bound $parameter.
WITH
{responses},
answered AS (
    SELECT customer_id, response_date, nps_score FROM responses WHERE nps_score IS NOT NULL
),
latest AS (
    SELECT customer_id, nps_score
    FROM (
        SELECT customer_id, nps_score,
            ROW_NUMBER() OVER (PARTITION BY customer_id
                               ORDER BY response_date DESC, nps_score) AS newest
        FROM answered
        WHERE customer_id IS NOT NULL
    ) AS ranked
    WHERE newest = 1
    UNION ALL
    SELECT customer_id, nps_score FROM answered WHERE customer_id IS NULL
)
SELECT
    (SELECT COUNT(*) FROM answered) AS answers,
    COUNT(*) AS responses,
    COUNT(customer_id) AS customers,
    COUNT(*) - COUNT(customer_id) AS anonymous,
    COUNT(*) FILTER (WHERE nps_score >= 9) AS promoters,
    COUNT(*) FILTER (WHERE nps_score BETWEEN 7 AND 8) AS passives,
    COUNT(*) FILTER (WHERE nps_score <= 6) AS detractors
FROM latest
