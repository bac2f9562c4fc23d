-- Loyalty type of each customer with a purchase in the date range (seed 003, "Tipuri de
-- clienți fideli": value-, price-, reward- and discount-based loyalty), from the shares of
-- their purchases (orders with an amount >= 0) in [$selection_start, $selection_end] that
--   carry a discount   ({discounted}: a discount amount other than 0),
--   redeem points      ({redeemed}: points redeemed other than 0),
--   are at full price  (neither).
-- The rules, first match wins (metrics/loyalty.py, LOYALTY_TYPE_RULES, says why):
--   fewer than $min_orders purchases                               -> 'too_few_purchases'
--   points share >= $incentive_share and >= the discount share     -> 'reward'
--   discount share >= $incentive_share                             -> 'discount'
--   full-price share >= $full_price_share                          -> 'value'
--   otherwise (a discount or points on a steady share of purchases) -> 'price'
-- in_base_at_end: the latest purchase is at most W days before the range's last day
-- ($base_from = that day - W). Revenue is net of the range's refunds.
--
-- Placeholders in curly brackets are engine expressions and quoted identifiers filled in by
-- metrics/loyalty.py; every user value is a bound $parameter.
WITH
selected AS (
    SELECT customer_id, order_date, amount,
        amount >= 0 AS purchase,
        {discounted} AS discounted,
        {redeemed} AS redeemed
    FROM {orders_table}
    WHERE order_date BETWEEN $selection_start AND $selection_end AND ({segment_filter})
),
per_customer AS (
    SELECT customer_id,
        COUNT(*) FILTER (WHERE purchase) AS orders,
        SUM(amount) AS revenue,
        COUNT(*) FILTER (WHERE purchase AND discounted) AS discounted_orders,
        COUNT(*) FILTER (WHERE purchase AND redeemed) AS redeemed_orders,
        COUNT(*) FILTER (WHERE purchase AND NOT discounted AND NOT redeemed)
            AS full_price_orders,
        MAX(order_date) FILTER (WHERE purchase) AS last_purchase
    FROM selected
    GROUP BY customer_id
    HAVING COUNT(*) FILTER (WHERE purchase) > 0
),
shares AS (
    SELECT *,
        CAST(discounted_orders AS DOUBLE) / orders AS discount_share,
        CAST(redeemed_orders AS DOUBLE) / orders AS points_share,
        CAST(full_price_orders AS DOUBLE) / orders AS full_price_share
    FROM per_customer
)
SELECT
    customer_id,
    CAST(orders AS BIGINT) AS orders,
    CAST(revenue AS DOUBLE) AS revenue,
    CAST(discounted_orders AS BIGINT) AS discounted_orders,
    CAST(redeemed_orders AS BIGINT) AS redeemed_orders,
    CAST(full_price_orders AS BIGINT) AS full_price_orders,
    100.0 * discount_share AS discount_share_pct,
    100.0 * points_share AS points_share_pct,
    100.0 * full_price_share AS full_price_share_pct,
    last_purchase,
    last_purchase >= $base_from AS in_base_at_end,
    CASE
        WHEN orders < $min_orders THEN 'too_few_purchases'
        WHEN points_share >= $incentive_share AND points_share >= discount_share THEN 'reward'
        WHEN discount_share >= $incentive_share THEN 'discount'
        WHEN full_price_share >= $full_price_share THEN 'value'
        ELSE 'price'
    END AS loyalty_type
FROM shares
ORDER BY customer_id
