-- KPIs per period: the customer base (S, N, E, retained customers) and the period's
-- activity (active customers, orders, revenue, repeat buyers), DESIGN.md "Metric definitions".
-- Also what the significance tests of metrics/significance.py need: the number of repeat
-- customers and the standard deviation of the period's order amounts.
--
-- A customer is in the base on day t when they have a purchase in [t - W, t]. A "spell" is
-- a run of a customer's purchases with gaps of at most W days; it keeps the customer in
-- the base from its first purchase day to its last purchase day + W. Each spell covers
-- the last days of a contiguous range of periods, so E and "retained" are running sums of
-- +1/-1 events per period: linear in the number of spells, not customers x periods.
--
-- Any filter state: each customer's purchase days are numbered into spells (windows over
-- customer and date). These CTEs (base_events, new_customers, activity, money) feed
-- sql/kpi_rows.sql; sql/kpis_from_history.sql computes the same from stored history.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/kpis.py; every user value is a bound $parameter.
filtered AS (
    SELECT customer_id, order_date, amount
    FROM {orders_table}
    WHERE {segment_filter}
),
purchases AS (
    -- refunds (negative amounts) are not purchases
    SELECT customer_id, order_date, amount, {period_of_order_date} AS period_index
    FROM filtered
    WHERE amount >= 0
),
spell_marks AS (
    SELECT customer_id, order_date,
        CASE WHEN {days_since_previous_purchase} > $inactivity_days THEN 1 ELSE 0 END
            AS starts_spell
    FROM (SELECT DISTINCT customer_id, order_date FROM purchases) AS purchase_days
),
spells AS (
    SELECT customer_id, MIN(order_date) AS first_day, MAX(order_date) AS last_purchase
    FROM (
        SELECT customer_id, order_date,
            SUM(starts_spell) OVER (
                PARTITION BY customer_id ORDER BY order_date
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
            ) AS spell_number
        FROM spell_marks
    ) AS numbered
    GROUP BY customer_id, spell_number
),
covered AS (
    -- the periods whose measuring day (the last day, or the data's last day in the
    -- period the data stops inside) the spell covers: from the period of its first day
    -- to the one before the first period measured on or after the first day out of the
    -- base (last + W + 1)
    SELECT customer_id, first_index, last_index,
        LAG(last_index) OVER (PARTITION BY customer_id ORDER BY first_index)
            AS previous_last_index
    FROM (
        SELECT customer_id,
            {period_of_spell_start} AS first_index,
            {period_after_spell} - 1 AS last_index
        FROM spells
    ) AS spell_periods
    WHERE last_index >= first_index
),
base_events AS (
    -- in the base at the end of the period
    SELECT first_index AS period_index, 1 AS in_base, 0 AS retained FROM covered
    UNION ALL
    SELECT last_index + 1, -1, 0 FROM covered
    -- in the base at the end of this period and of the previous one, within one spell
    UNION ALL
    SELECT first_index + 1, 0, 1 FROM covered WHERE last_index > first_index
    UNION ALL
    SELECT last_index + 1, 0, -1 FROM covered WHERE last_index > first_index
    -- ... or across two spells: lapsed and came back inside this period
    UNION ALL
    SELECT first_index, 0, 1 FROM covered WHERE previous_last_index = first_index - 1
    UNION ALL
    SELECT first_index + 1, 0, -1 FROM covered WHERE previous_last_index = first_index - 1
),
customer_milestones AS (
    -- the period of each customer's first and second purchase
    SELECT customer_id,
        MIN(period_index) AS first_index,
        MIN(CASE WHEN purchase_number = 2 THEN period_index END) AS second_index
    FROM (
        SELECT customer_id, period_index,
            ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date) AS purchase_number
        FROM purchases
    ) AS numbered
    GROUP BY customer_id
),
new_customers AS (
    SELECT first_index AS period_index, COUNT(*) AS new_customers
    FROM customer_milestones
    GROUP BY first_index
),
activity AS (
    SELECT p.period_index,
        COUNT(DISTINCT p.customer_id) AS active_customers,
        COUNT(DISTINCT CASE WHEN m.second_index <= p.period_index THEN p.customer_id END)
            AS repeat_customers,
        COUNT(*) AS orders,
        -- sample standard deviation (n - 1); NULL with fewer than two orders
        STDDEV_SAMP(p.amount) AS order_value_sd
    FROM purchases AS p
    JOIN customer_milestones AS m ON m.customer_id = p.customer_id
    GROUP BY p.period_index
),
money AS (
    SELECT {period_of_order_date} AS period_index,
        SUM(amount) AS revenue,
        -SUM(CASE WHEN amount < 0 THEN amount ELSE 0 END) AS refunds
    FROM filtered
    GROUP BY 1
)
