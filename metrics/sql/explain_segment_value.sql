-- One value's figure of the segment comparison (metrics/segments.py: segment_summary) and
-- its inputs, over the selection with the segment filter set to the value:
--   customers, orders, revenue, repeat_customers
--       the selection's figures ({figures}: sql/segment_figures.sql);
--   pooled_start, pooled_new, pooled_end, pooled_retained
--       S, N, E and the retained customers of the selection's KPI table ({kpis}:
--       metrics/kpis.py) summed over its complete periods;
--   window_days
--       the days the KPI table's periods cover within the data ($data_first_day to
--       $data_last_day);
--   periods_per_year
--       $periods_per_year, to compound the pooled strict retention into an annual churn:
--       annual_churn = 1 - (pooled_retained / pooled_start) ^ periods_per_year.
-- {value} computes the metric from these columns (metrics/explain/segments.py; the simple
-- CLV with $days_per_year and the lifespan cap $max_lifespan_years); every user value is a
-- bound $parameter.
SELECT {value} AS {metric}, {inputs}
FROM (
    SELECT figures.customers, figures.orders, figures.revenue, figures.repeat_customers,
        pooled.pooled_start, pooled.pooled_new, pooled.pooled_end, pooled.pooled_retained,
        pooled.window_days, CAST($periods_per_year AS DOUBLE) AS periods_per_year,
        1 - POWER(CAST(pooled.pooled_retained AS DOUBLE) / NULLIF(pooled.pooled_start, 0),
                  $periods_per_year) AS annual_churn
    FROM (
{figures}) AS figures
    CROSS JOIN (
        SELECT
            CAST(SUM(CASE WHEN complete THEN start_customers ELSE 0 END) AS BIGINT)
                AS pooled_start,
            CAST(SUM(CASE WHEN complete THEN new_customers ELSE 0 END) AS BIGINT)
                AS pooled_new,
            CAST(SUM(CASE WHEN complete THEN end_customers ELSE 0 END) AS BIGINT)
                AS pooled_end,
            CAST(SUM(CASE WHEN complete THEN retained_customers ELSE 0 END) AS BIGINT)
                AS pooled_retained,
            {window_days} + 1 AS window_days
        FROM (
{kpis}) AS kpis
    ) AS pooled
) AS segment
