-- Each NPS answer of the date range followed for 6 and 12 months after its date
-- (followed: one row per answer and window), for what promoters, passives and detractors
-- do next (sql/survey_behaviour.sql) and the answers behind it
-- (sql/explain_behaviour_answers.sql). Orders on the answer's day are not counted (they are
-- usually what the survey asked about); a window counts only when it ends on or before the
-- data's last order day. The CTEs after the responses CTE (sql/survey_responses.sql).
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in
-- by metrics/satisfaction.py; every user value is a bound $parameter.
orders AS (
    SELECT customer_id, order_date, amount FROM {orders_table} WHERE {segment_filter}
),
answers AS (
    SELECT
        ROW_NUMBER() OVER (ORDER BY customer_id, response_date, nps_score) AS answer_number,
        customer_id, response_date, score_group,
        COALESCE(customer_id IN (SELECT customer_id FROM {orders_table}), FALSE) AS matched
    FROM responses
    WHERE score_group IS NOT NULL
),
windows AS (
    SELECT a.answer_number, a.customer_id, a.response_date, a.score_group, a.matched,
        w.window_months, {window_end} AS window_end
    FROM answers AS a
    CROSS JOIN (VALUES {window_values}) AS w (window_months)
),
followed AS (
    SELECT w.answer_number, w.customer_id, w.response_date, w.score_group, w.window_months,
        w.matched,
        w.window_end <= $data_last_day AS counted,
        COUNT(o.order_date) FILTER (WHERE o.amount >= 0) AS purchases,
        COALESCE(SUM(o.amount), 0) AS revenue
    FROM windows AS w
    LEFT JOIN orders AS o
        ON w.matched AND o.customer_id = w.customer_id
        AND o.order_date > w.response_date AND o.order_date <= w.window_end
    GROUP BY w.answer_number, w.customer_id, w.response_date, w.score_group,
        w.window_months, w.matched, w.window_end
)
