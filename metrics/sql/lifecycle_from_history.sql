-- Customer lifecycle per period from the purchase history stored with the orders
-- (sql/purchase_history.sql): the same CTEs as sql/lifecycle.sql (arrivals, departures) in
-- one scan of the orders, no window over customers. It holds for filter states that keep
-- or drop whole customers (no segment filter on a column of the orders), since each
-- customer's stored previous and next purchase are then also those of the filtered data.
--
-- A customer's first order of a period (previous purchase in an earlier period, or none)
-- says how they arrive: new without a previous purchase, returning when it is in the
-- period before, resurrected when earlier. Their last order of a period (next purchase in
-- a later period, or none) makes them dormant in the next period unless they buy in it.
-- One of each per customer and period with a purchase, also when several orders share a
-- day. Refunds (negative amounts) are not purchases.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/retention.py; every user value is a bound $parameter.
purchases AS (
    SELECT {period_of_order_date} AS period_index,
        {period_of_previous_purchase} AS previous_index,
        {period_of_next_purchase} AS next_index
    FROM {orders_table}
    WHERE amount >= 0 AND {segment_filter}
),
histories AS (
    -- the purchases counted by the periods of their place in the purchase history: a few
    -- thousand rows, so the conditions below run on these, not on every order
    SELECT period_index, previous_index, next_index, COUNT(*) AS orders
    FROM purchases
    GROUP BY ALL
),
moves AS (
    SELECT period_index,
        CAST(SUM(CASE WHEN previous_index IS NULL THEN orders ELSE 0 END) AS BIGINT)
            AS new_customers,
        CAST(SUM(CASE WHEN previous_index = period_index - 1 THEN orders ELSE 0 END)
            AS BIGINT) AS returning_customers,
        CAST(SUM(CASE WHEN previous_index < period_index - 1 THEN orders ELSE 0 END)
            AS BIGINT) AS resurrected_customers,
        CAST(SUM(CASE WHEN next_index IS NULL OR next_index > period_index + 1 THEN orders
            ELSE 0 END) AS BIGINT) AS dormant_next
    FROM histories
    GROUP BY period_index
),
arrivals AS (
    SELECT period_index, new_customers, returning_customers, resurrected_customers
    FROM moves
),
departures AS (
    -- dormant in the period after each last period of a run of active periods
    SELECT period_index + 1 AS period_index, dormant_next AS dormant_customers
    FROM moves
)
