-- Today's figures for the retention uplift simulator, over the window [$window_start,
-- $window_end] (the last 12 months of the date range, as for the simple CLV): the totals of
-- the customers' 0/1 columns and revenues of sql/simulator_baseline_customers.sql (its CTEs
-- come first):
--   start_customers  S: in the base on the day before the window;
--   retained         of S, still in the base on the window's last day;
--   end_customers    E: in the base on the window's last day (today's base);
--   new_customers    customers whose first purchase falls in the window;
--   revenue          the window's revenue, net of refunds.
SELECT
    CAST(COALESCE(SUM(start_customers), 0) AS BIGINT) AS start_customers,
    CAST(COALESCE(SUM(retained_customers), 0) AS BIGINT) AS retained_customers,
    CAST(COALESCE(SUM(end_customers), 0) AS BIGINT) AS end_customers,
    CAST(COALESCE(SUM(new_customers), 0) AS BIGINT) AS new_customers,
    CAST(COALESCE(SUM(revenue), 0) AS DOUBLE) AS revenue
FROM baseline_customers
