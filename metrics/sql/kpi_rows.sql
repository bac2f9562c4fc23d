-- The KPI rows from the CTEs base_events, new_customers, activity, money, arrivals and
-- departures (sql/kpis*.sql, sql/lifecycle.sql): the customer base (E and retained
-- customers) as running sums of the per-period events (base_events: +1 / -1 in the base
-- or retained, from the period they take effect) from before the first event, S as the
-- previous period's E, and the rates (DESIGN.md "Metric definitions") for every period of
-- the range that has data.
-- The period the data stops inside ends on the data's last day: its E is measured there
-- (metrics.kpis.period_out_sql) and its period_end says so.
-- The KPI pieces (metrics.kpis.KPI_PIECES, sql/kpi_piece_<name>.sql ending in the CTE <name>:
-- one row per period_index, a column per KPI) are joined by period, their columns last.
-- Split by segments (metrics/query/splits.py), every step is per segment and value
-- ({split}) and the series of periods runs for each of them (split_groups); unsplit, the
-- split pieces are empty.
event_totals AS (
    SELECT {split}period_index, SUM(in_base) AS in_base, SUM(retained) AS retained
    FROM base_events
    GROUP BY {split}period_index
),
bounds AS (
    SELECT LEAST(COALESCE(MIN(period_index), $first_index), $first_index) - 1 AS low
    FROM event_totals
),
series AS (
    SELECT {split}{period_series} FROM bounds{split:cross}
),
running AS (
    SELECT {split:s}s.period_index,
        CAST(SUM(COALESCE(e.in_base, 0)) OVER running_total AS BIGINT) AS end_customers,
        CAST(SUM(COALESCE(e.retained, 0)) OVER running_total AS BIGINT) AS retained_customers
    FROM series AS s
    LEFT JOIN event_totals AS e ON e.period_index = s.period_index{split:e=s}
    WINDOW running_total AS (
        {split:over s} ORDER BY s.period_index ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    )
),
base AS (
    SELECT {split}period_index, end_customers, retained_customers,
        COALESCE(LAG(end_customers) OVER ({split:over} ORDER BY period_index),
            CAST(0 AS BIGINT))
            AS start_customers
    FROM running
)
SELECT {split:b}
    {period_start} AS period_start,
    LEAST({period_end}, $data_last_day) AS period_end,
    b.start_customers,
    COALESCE(n.new_customers, 0) AS new_customers,
    b.end_customers,
    b.retained_customers,
    b.start_customers + COALESCE(n.new_customers, 0) - b.end_customers AS churned_customers,
    b.start_customers - b.retained_customers AS lost_customers,
    COALESCE(a.active_customers, 0) AS active_customers,
    COALESCE(a.orders, 0) AS orders,
    CAST(COALESCE(m.revenue, 0) AS DOUBLE) AS revenue,
    CAST(COALESCE(m.refunds, 0) AS DOUBLE) AS refunds,
    CAST(m.revenue AS DOUBLE) / NULLIF(a.orders, 0) AS aov,
    100.0 * COALESCE(a.repeat_customers, 0) / NULLIF(a.active_customers, 0)
        AS repeat_purchase_rate,
    100.0 * (b.end_customers - COALESCE(n.new_customers, 0)) / NULLIF(b.start_customers, 0)
        AS retention_rate,
    100.0 * (b.start_customers + COALESCE(n.new_customers, 0) - b.end_customers)
        / NULLIF(b.start_customers, 0) AS churn_rate,
    100.0 * b.retained_customers / NULLIF(b.start_customers, 0) AS strict_retention_rate,
    ({period_start} >= $data_first_day AND {period_end} <= $data_last_day) AS complete,
    COALESCE(a.repeat_customers, 0) AS repeat_customers,
    CAST(a.order_value_sd AS DOUBLE) AS order_value_sd,
    CAST(COALESCE(l.returning_customers, 0) AS BIGINT) AS returning_customers,
    CAST(COALESCE(l.resurrected_customers, 0) AS BIGINT) AS resurrected_customers,
    CAST(COALESCE(d.dormant_customers, 0) AS BIGINT) AS dormant_customers{piece_columns}
FROM base AS b
LEFT JOIN new_customers AS n ON n.period_index = b.period_index{split:n=b}
LEFT JOIN activity AS a ON a.period_index = b.period_index{split:a=b}
LEFT JOIN money AS m ON m.period_index = b.period_index{split:m=b}
LEFT JOIN arrivals AS l ON l.period_index = b.period_index{split:l=b}
LEFT JOIN departures AS d ON d.period_index = b.period_index{split:d=b}
{piece_joins}
WHERE b.period_index BETWEEN $first_index AND LEAST($last_index, $data_last_index)
ORDER BY {split:b}b.period_index
