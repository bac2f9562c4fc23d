-- The KPIs of the KPI pieces (metrics.kpis.KPI_PIECES: net and gross revenue retention and
-- the sums behind them) by period, read from the KPI table stored at ingest for this
-- period at another inactivity window (metrics/page_aggregates.py) instead of computed
-- again: no piece depends on W (metrics.kpis checks that none binds it), and the stored
-- table holds every period of the data, each row computed from the orders before and in
-- its period only (sql/stored_kpis.sql). sql/kpi_rows.sql joins it as it joins a piece;
-- a period the stored table has no row for (before the data) has none here either, as
-- the pieces have none.
-- The placeholders (the pieces' KPI columns, the page table) are filled in by
-- metrics/query/stored_pages.py before the KPI query fills its own, so this comment
-- names none of them in curly brackets.
stored_pieces AS (
    SELECT period_index, {columns}
    FROM {stored_table}
    WHERE period = $stored_period AND inactivity_days = $stored_window
)
