-- The survey responses a satisfaction metric counts (DESIGN.md, "Metric definitions",
-- NPS, CSAT, CLI): those dated in the filter's periods, of the customers the segment
-- filters keep (a response without a customer id drops out while a segment filter is on),
-- each with its period, its NPS group and, when split, the segment value of the response
-- or of its customer. Promoters answer 9-10, passives 7-8, detractors 0-6 (seed).
--
-- A CTE named "responses" that the satisfaction queries (sql/survey_*.sql) start with.
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in
-- by metrics/satisfaction.py; every user value is a bound $parameter.
responses AS (
    SELECT
        r.response_date,
        {period_of_response} AS period_index,
        {columns},
        CASE WHEN {nps_score} >= 9 THEN 'promoter'
             WHEN {nps_score} >= 7 THEN 'passive'
             WHEN {nps_score} >= 0 THEN 'detractor' END AS score_group,
        {group_value} AS group_value
    FROM (
        SELECT {stored_columns}
        FROM {responses_table}
        WHERE {period_of_response_date} BETWEEN $first_index AND $last_index
            AND ({customer_filter})
    ) AS r
    {group_join}
)
