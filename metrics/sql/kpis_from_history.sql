-- KPIs per period from the purchase history stored with the orders
-- (sql/purchase_history.sql): the same CTEs as sql/kpis.sql (event_totals, new_customers,
-- activity, money) from scans of the orders, with no window over customers and dates. It
-- holds for filter states that keep or drop whole customers (no segment filter on a column
-- of the orders), since each customer's stored previous and next purchase are then also
-- those of the filtered data.
--
-- A customer's first order of a period is the one whose previous purchase lies in an
-- earlier period (or that has none), the last the one whose next purchase lies in a later
-- period (or that has none): one of each per customer and period with a purchase, also
-- when several orders share a day. A customer is in the base at the end of period t when
-- their latest purchase day on or before it is at most W days before it. The last
-- purchase d of a period stays that latest purchase until the period of the next purchase;
-- it keeps the customer in the base until the period holding d + W + 1. Whichever comes
-- first ("base_until") ends what d adds to E: +1 at d's period, -1 at base_until.
-- "Retained" (in the base at the end of t - 1 and of t): in the periods after d's without
-- a purchase, d is the latest purchase at both ends: +1 from d's period + 1 to base_until.
-- In a period with purchases the end of t - 1 depends on the purchase before the period
-- (the previous purchase of its first order), the end of t on the period's last order. So
-- the first order counts a customer in the base at the end of t - 1 as retained (+1 at t,
-- -1 at t + 1) unless it is also the last and leaves them out of the base at the end of
-- t; when another order is the last and does so, the two are paired by customer and period
-- to take the customer off again. That needs W shorter than the period: few rows.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/kpis.py; every user value is a bound $parameter.
placed AS (
    -- each order with the periods of its customer's purchases before and after it, and
    -- the periods holding the first day out of the base after each
    SELECT customer_id, amount,
        {period_of_order_date} AS period_index,
        {period_of_previous_purchase} AS previous_index,
        {period_of_next_purchase} AS next_index,
        {period_out_after_previous_purchase} AS previous_out_index,
        {period_out_after_order} AS out_index
    FROM {orders_table}
    WHERE {segment_filter}
),
purchases AS (
    -- refunds (negative amounts) are not purchases
    SELECT customer_id, amount, period_index, previous_index, next_index,
        CASE WHEN previous_index IS NULL OR previous_index < period_index THEN 1 ELSE 0 END
            AS first_in_period,
        CASE WHEN next_index IS NULL OR next_index > period_index THEN 1 ELSE 0 END
            AS last_in_period,
        -- the first order of a period: in the base at the end of the previous period
        CASE WHEN previous_index < period_index AND previous_out_index >= period_index
            THEN 1 ELSE 0 END AS was_in_base,
        -- the last order of a period: in the base at its end
        CASE WHEN out_index > period_index THEN 1 ELSE 0 END AS stays_in_base,
        CASE WHEN next_index IS NULL OR next_index > out_index THEN out_index
            ELSE next_index END AS base_until
    FROM placed
    WHERE amount >= 0
),
period_totals AS (
    -- one scan for the period's activity and money
    SELECT period_index,
        COUNT(CASE WHEN amount >= 0 AND previous_index IS NULL THEN 1 END) AS new_customers,
        COUNT(CASE WHEN amount >= 0
            AND (previous_index IS NULL OR previous_index < period_index) THEN 1 END)
            AS active_customers,
        -- a purchase before the period, or a first purchase followed by another order in
        -- the period: at least two orders up to its last day
        COUNT(CASE WHEN amount >= 0 AND (previous_index < period_index
                OR (previous_index IS NULL AND next_index = period_index)) THEN 1 END)
            AS repeat_customers,
        COUNT(CASE WHEN amount >= 0 THEN 1 END) AS orders,
        -- sample standard deviation (n - 1); NULL with fewer than two orders
        STDDEV_SAMP(CASE WHEN amount >= 0 THEN amount END) AS order_value_sd,
        SUM(amount) AS revenue,
        -SUM(CASE WHEN amount < 0 THEN amount ELSE 0 END) AS refunds,
        -- first orders of the period in the base at the end of the previous one, retained
        -- unless the order is also the period's last and leaves them out of the base
        COUNT(CASE WHEN amount >= 0 AND previous_index < period_index
                AND previous_out_index >= period_index
                AND (next_index = period_index OR out_index > period_index) THEN 1 END)
            AS staying
    FROM placed
    GROUP BY period_index
),
new_customers AS (
    SELECT period_index, new_customers FROM period_totals
),
activity AS (
    SELECT period_index, active_customers, repeat_customers, orders, order_value_sd
    FROM period_totals
),
money AS (
    SELECT period_index, revenue, refunds FROM period_totals
),
leaving AS (
    -- the last orders of each period, counted by base_until (a small table)
    SELECT period_index, base_until, COUNT(*) AS customers
    FROM purchases
    WHERE last_in_period = 1
    GROUP BY period_index, base_until
),
lapsed_inside AS (
    -- ... not retained after all when the period's last order (another one) leaves them
    -- out of the base at its end: then the window of the first order closes inside the
    -- period too; the first and the last order are paired by customer and period
    SELECT period_index, COUNT(*) AS customers
    FROM (
        SELECT customer_id, period_index
        FROM purchases
        WHERE stays_in_base = 0
            AND ((was_in_base = 1 AND last_in_period = 0)
                OR (last_in_period = 1 AND first_in_period = 0))
        GROUP BY customer_id, period_index
        HAVING COUNT(*) = 2
    ) AS first_and_last
    GROUP BY period_index
),
base_events AS (
    -- in the base at the end of the period
    SELECT period_index, customers AS in_base, 0 AS retained
    FROM leaving WHERE base_until > period_index
    UNION ALL
    SELECT base_until, -customers, 0 FROM leaving WHERE base_until > period_index
    -- in the base at the end of this period and of the previous one, no purchase between
    UNION ALL
    SELECT period_index + 1, 0, customers FROM leaving WHERE base_until > period_index + 1
    UNION ALL
    SELECT base_until, 0, -customers FROM leaving WHERE base_until > period_index + 1
    -- ... or with purchases in this period
    UNION ALL
    SELECT period_index, 0, staying FROM period_totals
    UNION ALL
    SELECT period_index + 1, 0, -staying FROM period_totals
    UNION ALL
    SELECT period_index, 0, -customers FROM lapsed_inside
    UNION ALL
    SELECT period_index + 1, 0, customers FROM lapsed_inside
),
event_totals AS (
    SELECT period_index, SUM(in_base) AS in_base, SUM(retained) AS retained
    FROM base_events
    GROUP BY period_index
)
