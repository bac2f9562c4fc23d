-- The answers behind one NPS group's behaviour in one window (metrics/explain/survey.py):
-- each followed answer (its customer in the orders, its window ended by the last order
-- day) of the group $explained_group and window $explained_months, with a 0/1 column
-- for ordering again and the net revenue of its window, so the rows count the answers
-- followed and their columns total those who ordered again and the revenue of
-- sql/survey_behaviour.sql. From followed (sql/survey_followed.sql).
SELECT customer_id, response_date,
    CAST(1 AS BIGINT) AS followed,
    CAST(CASE WHEN purchases > 0 THEN 1 ELSE 0 END AS BIGINT) AS ordered_again,
    CAST(revenue AS DOUBLE) AS revenue
FROM followed
WHERE matched AND counted AND score_group = $explained_group
    AND window_months = $explained_months
ORDER BY response_date, customer_id
