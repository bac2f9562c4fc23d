-- NPS over the whole date range from each customer's latest answer (latest, from
-- sql/survey_latest.sql): the answers of the range, those counted, with and without a
-- customer id, and the promoters, passives and detractors among them.
SELECT
    (SELECT COUNT(*) FROM answered) AS answers,
    COUNT(*) AS responses,
    COUNT(customer_id) AS customers,
    COUNT(*) - COUNT(customer_id) AS anonymous,
    COUNT(*) FILTER (WHERE nps_score >= 9) AS promoters,
    COUNT(*) FILTER (WHERE nps_score BETWEEN 7 AND 8) AS passives,
    COUNT(*) FILTER (WHERE nps_score <= 6) AS detractors
FROM latest
