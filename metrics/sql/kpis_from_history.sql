-- KPIs per period from the purchase history stored with the orders
-- (sql/purchase_history.sql): the same CTEs as sql/kpis.sql and sql/lifecycle.sql
-- (base_events, new_customers, activity, money, arrivals, departures) from one scan of
-- the orders, with no window over customers and dates. It
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
-- it keeps the customer in the base until the period holding d + W + 1 (the period after
-- the data's last day when d + W + 1 comes after it: the period the data stops inside is
-- measured on that day, metrics.kpis.period_out_sql). Whichever comes
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
-- Only the orders from W + 1 days before the range (and from the period before it) to its
-- end ($rows_from to $rows_to, metrics.kpis.kpi_query): an earlier purchase's events all
-- fall before the range's S, which is what a period's rows read of the past.
--
-- Split by segments (metrics/query/splits.py), every step keeps each customer's segment
-- and value ({split}: segment, group_value) beside the period, from the grouping sets of
-- "histories" on; unsplit, {split} and the other split pieces are empty.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/kpis.py; every user value is a bound $parameter.
placed AS (
    -- each purchase with the periods of its customer's purchases before and after it, and
    -- the periods holding the first day out of the base after it and after the previous
    SELECT {customer_column} {split_values}amount,
        {period_of_order_date} AS period_index,
        {period_of_previous_purchase} AS previous_index,
        {period_of_next_purchase} AS next_index,
        {period_out_after_previous_purchase} AS previous_out_index,
        {period_out_after_order} AS out_index
    FROM (
        SELECT * FROM {orders_table}
        WHERE ({segment_filter}) AND order_date BETWEEN $rows_from AND $rows_to
    ) AS o
    {split_joins}
),
classified AS (
    -- what the periods of a purchase's neighbours and of its days out of the base say
    -- about it, in a few values each: the previous purchase in the same period (0), the
    -- one before (1) or earlier (2), none (NULL); the next likewise; the period its
    -- window ends what it adds to E (base_until, for a period's last order); and whether
    -- it keeps a customer in the base at the end of the previous period in this one
    -- ("staying", for a period's first order). Counting the orders by these rather than
    -- by the periods themselves leaves a few thousand groups where the periods of the
    -- neighbours and of the days out made a quarter of a million (weekly, a million orders)
    SELECT {split_values_placed}period_index, amount,
        CASE WHEN previous_index = period_index THEN 0
            WHEN previous_index = period_index - 1 THEN 1
            WHEN previous_index < period_index - 1 THEN 2 END AS previous_gap,
        CASE WHEN next_index = period_index THEN 0
            WHEN next_index = period_index + 1 THEN 1
            WHEN next_index > period_index + 1 THEN 2 END AS next_gap,
        -- the last order of a period adds to the base until base_until
        CASE WHEN next_index IS NULL OR next_index > out_index THEN out_index
            ELSE next_index END AS base_until,
        -- a first order of the period in the base at the end of the previous one, retained
        -- unless the order is also the period's last and leaves them out of the base
        COALESCE(previous_index < period_index AND previous_out_index >= period_index
            AND (next_index = period_index OR out_index > period_index), FALSE) AS staying
    FROM placed
),
histories AS (
    -- the orders counted by their place in the purchase history: a few thousand rows, so
    -- the conditions below run on these, not on every order. The purchases' amounts as
    -- count, mean and sum of squared deviations, merged per period below (Chan, Golub &
    -- LeVeque 1983) for a sample standard deviation that stays exact to the last digits
    SELECT {split_labelled}period_index, previous_gap, next_gap, base_until, staying,
        amount >= 0 AS is_purchase,
        COUNT(*) AS orders,
        SUM(amount) AS amount,
        AVG(CAST(amount AS DOUBLE)) AS mean_amount,
        VAR_POP(CAST(amount AS DOUBLE)) * COUNT(*) AS squared_deviations
    FROM classified
    GROUP BY period_index, previous_gap, next_gap, base_until, staying,
        amount >= 0{split_grouping}
),
purchases AS (
    SELECT {split}period_index, previous_gap, next_gap, base_until, orders, mean_amount,
        squared_deviations,
        CASE WHEN previous_gap IS NULL OR previous_gap > 0 THEN orders ELSE 0 END
            AS first_in_period,
        CASE WHEN next_gap IS NULL OR next_gap > 0 THEN orders ELSE 0 END AS last_in_period,
        CASE WHEN staying THEN orders ELSE 0 END AS staying
    FROM histories
    WHERE is_purchase
),
period_means AS (
    SELECT {split}period_index, SUM(orders * mean_amount) / SUM(orders) AS mean_amount
    FROM purchases
    GROUP BY {split}period_index
),
period_totals AS (
    SELECT {split:p}p.period_index,
        CAST(SUM(CASE WHEN p.previous_gap IS NULL THEN p.orders ELSE 0 END) AS BIGINT)
            AS new_customers,
        CAST(SUM(p.first_in_period) AS BIGINT) AS active_customers,
        -- a purchase before the period, or a first purchase followed by another order in
        -- the period: at least two orders up to its last day
        CAST(SUM(CASE WHEN p.previous_gap > 0
            OR (p.previous_gap IS NULL AND p.next_gap = 0)
            THEN p.orders ELSE 0 END) AS BIGINT) AS repeat_customers,
        CAST(SUM(p.orders) AS BIGINT) AS orders,
        -- sample standard deviation (n - 1); NULL with fewer than two orders
        CASE WHEN SUM(p.orders) > 1 THEN sqrt(SUM(p.squared_deviations
            + p.orders * (p.mean_amount - m.mean_amount) * (p.mean_amount - m.mean_amount))
            / (SUM(p.orders) - 1)) END AS order_value_sd,
        CAST(SUM(p.staying) AS BIGINT) AS staying
    FROM purchases AS p
    JOIN period_means AS m ON m.period_index = p.period_index{split:m=p}
    GROUP BY {split:p}p.period_index
),
period_money AS (
    SELECT {split}period_index, SUM(amount) AS revenue,
        -SUM(CASE WHEN NOT is_purchase THEN amount ELSE 0 END) AS refunds
    FROM histories
    GROUP BY {split}period_index
),
new_customers AS (
    SELECT {split}period_index, new_customers FROM period_totals
),
activity AS (
    SELECT {split}period_index, active_customers, repeat_customers, orders, order_value_sd
    FROM period_totals
),
money AS (
    SELECT {split}period_index, revenue, refunds FROM period_money
),
arrivals AS (
    -- the customer lifecycle (sql/lifecycle.sql): a customer's first order of a period
    -- says how they arrive, new without a previous purchase, returning when it is in the
    -- period before, resurrected when earlier
    SELECT {split}period_index,
        CAST(SUM(CASE WHEN previous_gap = 1 THEN orders ELSE 0 END)
            AS BIGINT) AS returning_customers,
        CAST(SUM(CASE WHEN previous_gap = 2 THEN orders ELSE 0 END)
            AS BIGINT) AS resurrected_customers
    FROM purchases
    GROUP BY {split}period_index
),
departures AS (
    -- their last order of a period makes them dormant in the next one unless they buy
    SELECT {split:p}p.period_index + 1 AS period_index,
        CAST(SUM(p.orders) AS BIGINT) AS dormant_customers
    FROM purchases AS p
    WHERE p.next_gap IS NULL OR p.next_gap = 2
    GROUP BY {split:p}p.period_index
),
leaving AS (
    -- the last orders of each period, counted by base_until
    SELECT {split}period_index, base_until, CAST(SUM(last_in_period) AS BIGINT) AS customers
    FROM purchases
    WHERE last_in_period > 0
    GROUP BY {split}period_index, base_until
),
{lapsed_inside},
base_events AS (
    -- in the base at the end of the period
    SELECT {split}period_index, customers AS in_base, 0 AS retained
    FROM leaving WHERE base_until > period_index
    UNION ALL
    SELECT {split}base_until, -customers, 0 FROM leaving WHERE base_until > period_index
    -- in the base at the end of this period and of the previous one, no purchase between
    UNION ALL
    SELECT {split}period_index + 1, 0, customers FROM leaving
    WHERE base_until > period_index + 1
    UNION ALL
    SELECT {split}base_until, 0, -customers FROM leaving WHERE base_until > period_index + 1
    -- ... or with purchases in this period
    UNION ALL
    SELECT {split}period_index, 0, staying FROM period_totals
    UNION ALL
    SELECT {split}period_index + 1, 0, -staying FROM period_totals
    UNION ALL
    SELECT {split}period_index, 0, -customers FROM lapsed_inside
    UNION ALL
    SELECT {split}period_index + 1, 0, customers FROM lapsed_inside
)
