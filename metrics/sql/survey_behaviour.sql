-- What promoters, passives and detractors do next: each NPS answer whose customer id is in
-- the orders is followed for 6 and 12 months after the answer's date (orders on that day
-- are not counted: they are usually what the survey asked about). Per NPS group and
-- window: the answers followed, those whose customer placed a purchase in the window
-- (refunds are not purchases), and the net revenue of the window (refunds subtracted).
-- A window counts only when it ends on or before the data's last order day; the others
-- are left out, and counted.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in
-- by metrics/satisfaction.py; every user value is a bound $parameter.
WITH
{responses},
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
    SELECT w.answer_number, w.score_group, w.window_months, w.matched,
        w.window_end <= $data_last_day AS counted,
        COUNT(o.order_date) FILTER (WHERE o.amount >= 0) AS purchases,
        COALESCE(SUM(o.amount), 0) AS revenue
    FROM windows AS w
    LEFT JOIN orders AS o
        ON w.matched AND o.customer_id = w.customer_id
        AND o.order_date > w.response_date AND o.order_date <= w.window_end
    GROUP BY w.answer_number, w.score_group, w.window_months, w.matched, w.window_end
)
SELECT
    score_group,
    window_months,
    COUNT(*) AS answers,
    COUNT(*) FILTER (WHERE matched) AS matched,
    COUNT(*) FILTER (WHERE matched AND counted) AS followed,
    COUNT(*) FILTER (WHERE matched AND NOT counted) AS left_out,
    COUNT(*) FILTER (WHERE matched AND counted AND purchases > 0) AS ordered_again,
    CAST(COALESCE(SUM(revenue) FILTER (WHERE matched AND counted), 0) AS DOUBLE) AS revenue
FROM followed
GROUP BY score_group, window_months
