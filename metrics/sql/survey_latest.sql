-- Each customer's latest NPS answer of the date range (a customer who answered three
-- times counts once, with the latest score; two answers on the same day: the lower
-- score). A response without a customer id cannot be matched to others, so it counts on
-- its own. The CTEs after the responses CTE (sql/survey_responses.sql) that the NPS of the
-- latest answers (sql/survey_latest_answers.sql) and the answers behind it
-- (sql/explain_nps_latest_answers.sql) share.
answered AS (
    SELECT customer_id, response_date, nps_score FROM responses WHERE nps_score IS NOT NULL
),
latest AS (
    SELECT customer_id, response_date, nps_score
    FROM (
        SELECT customer_id, response_date, nps_score,
            ROW_NUMBER() OVER (PARTITION BY customer_id
                               ORDER BY response_date DESC, nps_score) AS newest
        FROM answered
        WHERE customer_id IS NOT NULL
    ) AS ranked
    WHERE newest = 1
    UNION ALL
    SELECT customer_id, response_date, nps_score FROM answered WHERE customer_id IS NULL
)
