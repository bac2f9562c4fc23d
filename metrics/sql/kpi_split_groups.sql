-- The segments and values of a KPI query split by segments (sql/kpis_from_history.sql's
-- grouping sets, metrics/query/splits.py): every value with an order in the rows read,
-- for which sql/kpi_rows.sql runs the series of periods.
split_groups AS (
    SELECT DISTINCT segment, group_value FROM histories
)
