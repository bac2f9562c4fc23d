-- The responses dated in the filter's periods: how many, how many carry no customer id,
-- and how many the segment filters keep (all of them when no segment filter is on).
--
-- Placeholders in curly brackets are filled in by metrics/satisfaction.py; every user
-- value is a bound $parameter.
SELECT
    COUNT(*) AS responses,
    COUNT(*) FILTER (WHERE {customer_id} IS NULL) AS without_customer,
    COUNT(*) FILTER (WHERE {customer_filter}) AS kept
FROM {responses_table}
WHERE {period_of_response_date} BETWEEN $first_index AND $last_index
