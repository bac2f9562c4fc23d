-- The customers a survival curve follows (metrics/explain/cohorts.py): the customer
-- lifetimes the curve is estimated from, as metrics/survival.py computes them
-- (sql/customer_lifetimes_*.sql, nested as is in {lifetimes}), narrowed by
-- {group_condition} to the curve's group, with left_base = 1 for a customer who left the
-- base (an event) and 0 for one still in it when the data ends (censored).
lifetimes AS (
{lifetimes}),
followed AS (
    SELECT customer_id, duration_days, event,
        CASE WHEN event THEN 1 ELSE 0 END AS left_base
    FROM lifetimes
    WHERE {group_condition}
)
