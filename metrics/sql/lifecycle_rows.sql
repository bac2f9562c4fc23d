-- The lifecycle rows from the CTEs arrivals and departures (sql/lifecycle*.sql): every
-- period of the range, zero where nobody arrives or leaves.
series AS (
    SELECT {period_series}
)
SELECT
    {period_start} AS period_start,
    {period_end} AS period_end,
    CAST(COALESCE(a.new_customers, 0) AS BIGINT) AS new_customers,
    CAST(COALESCE(a.returning_customers, 0) AS BIGINT) AS returning_customers,
    CAST(COALESCE(a.resurrected_customers, 0) AS BIGINT) AS resurrected_customers,
    CAST(COALESCE(d.dormant_customers, 0) AS BIGINT) AS dormant_customers,
    ({period_start} >= $data_first_day AND {period_end} <= $data_last_day) AS complete
FROM series AS s
LEFT JOIN arrivals AS a ON a.period_index = s.period_index
LEFT JOIN departures AS d ON d.period_index = s.period_index
ORDER BY s.period_index
