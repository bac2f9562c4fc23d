-- The CTE lapsed_inside of sql/kpis_from_history.sql, for W shorter than the period: a
-- customer in the base at the end of the previous period whose first order of this period
-- is not its last, and whose last order leaves them out of the base by its end, is not
-- retained after all (the window of the first order closes inside the period too). The
-- first and the last order are paired by customer and period (split: in each grouping set).
lapsed_inside AS (
    SELECT {split}period_index, COUNT(*) AS customers
    FROM (
        SELECT {split_labelled}customer_id, period_index
        FROM (
            SELECT {split_values_placed}customer_id, period_index,
                CASE WHEN previous_index IS NULL OR previous_index < period_index
                    THEN 1 ELSE 0 END AS first_in_period,
                CASE WHEN next_index IS NULL OR next_index > period_index
                    THEN 1 ELSE 0 END AS last_in_period,
                CASE WHEN previous_index < period_index AND previous_out_index >= period_index
                    THEN 1 ELSE 0 END AS was_in_base,
                CASE WHEN out_index > period_index THEN 1 ELSE 0 END AS stays_in_base
            FROM placed
            WHERE amount >= 0
        ) AS purchases
        WHERE stays_in_base = 0
            AND ((was_in_base = 1 AND last_in_period = 0)
                OR (last_in_period = 1 AND first_in_period = 0))
        GROUP BY customer_id, period_index{split_grouping}
        HAVING COUNT(*) = 2
    ) AS first_and_last
    GROUP BY {split}period_index
)
