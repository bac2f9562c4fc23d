-- One segment value's driver figures (metrics/drivers.py, "Why did it move?") and their
-- inputs, in the periods before ($before_start) and after ($after_start):
--   weight_before, weight_after, rate_before, rate_after
--       the value's weight (the KPI's denominator: S, active customers, orders, answers)
--       and rate, from {split}: the KPI's own query narrowed to the value's customers
--       (or answers);
--   total_before, total_after
--       the weight of everyone, from {total}: the same query unsplit.
-- {weight} is the weight column of those queries, {rate} the KPI over one of their rows
-- (metrics/explain/drivers.py). {value} computes the figure {metric} from them by
-- Kitagawa's formulas with the shares s0, s1 and the rates r0, r1 (a rate missing for
-- want of weight taken from the other period), as metrics/drivers.py does.
SELECT {value} AS {metric}, weight_before, total_before, rate_before, weight_after,
    total_after, rate_after
FROM (
    SELECT inputs.*,
        CAST(weight_before AS DOUBLE) / NULLIF(total_before, 0) AS s0,
        CAST(weight_after AS DOUBLE) / NULLIF(total_after, 0) AS s1,
        CASE WHEN weight_before > 0 THEN rate_before ELSE rate_after END AS r0,
        CASE WHEN weight_after > 0 THEN rate_after ELSE rate_before END AS r1
    FROM (
        SELECT
            CAST(SUM(CASE WHEN s.period_start = $before_start THEN s.weight ELSE 0 END) AS BIGINT)
                AS weight_before,
            CAST(SUM(CASE WHEN s.period_start = $before_start THEN t.weight ELSE 0 END) AS BIGINT)
                AS total_before,
            MAX(CASE WHEN s.period_start = $before_start THEN s.rate END) AS rate_before,
            CAST(SUM(CASE WHEN s.period_start = $after_start THEN s.weight ELSE 0 END) AS BIGINT)
                AS weight_after,
            CAST(SUM(CASE WHEN s.period_start = $after_start THEN t.weight ELSE 0 END) AS BIGINT)
                AS total_after,
            MAX(CASE WHEN s.period_start = $after_start THEN s.rate END) AS rate_after
        FROM (
            SELECT period_start, {weight} AS weight, CAST({rate} AS DOUBLE) AS rate
            FROM (
        {split}) AS split_rows
            {split_condition}
        ) AS s
        JOIN (
            SELECT period_start, {weight} AS weight
            FROM (
        {total}) AS total_rows
        ) AS t ON t.period_start = s.period_start
    ) AS inputs
) AS parts
