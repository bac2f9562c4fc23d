-- The lines behind the customer acquisition cost (sql/cac_by_period.sql): each new
-- customer of the range with the day and period of their first purchase and their
-- channel (acquired), and each spend line of the range with its period and channel
-- (spend). CTEs, shared by the CAC query and the rows behind a CAC
-- (sql/explain_cac_rows.sql).
firsts AS (
    SELECT customer_id, MIN(order_date) AS first_day
    FROM {orders_table}
    WHERE amount >= 0
    GROUP BY customer_id
),
acquired AS (
    SELECT f.customer_id, f.first_day, {period_of_first_day} AS period_index,
        NULLIF(TRIM(CAST(a.channel AS VARCHAR)), '') AS channel
    FROM firsts AS f
    LEFT JOIN ({acquisition_channels}) AS a ON a.customer_id = f.customer_id
    WHERE {period_of_first_day} BETWEEN $first_index AND $last_index
),
spend AS (
    SELECT spend_date, {period_of_spend_date} AS period_index,
        NULLIF(TRIM(CAST({spend_channel} AS VARCHAR)), '') AS channel,
        amount
    FROM {spend_table}
    WHERE {period_of_spend_date} BETWEEN $first_index AND $last_index
)
