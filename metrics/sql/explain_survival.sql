-- Survival at one age t = $age days (Kaplan & Meier 1958), in SQL from the lifetimes of
-- sql/explain_survival_followed.sql: S(t) = the product, over the days t_i <= t on which
-- someone left, of (1 - d_i / n_i), with d_i customers leaving on day t_i of the n_i still
-- followed then (lifetimes of t_i days or more, censored ones included). Returns S(t) x 100,
-- S just before t x 100 (the product over the days before t, 1 before anyone left) and n
-- and d at t, so that S(t) = S(t-) x (1 - d / n).
ending AS (
    -- each day a lifetime ends: customers leaving and lifetimes ending (left or censored)
    SELECT duration_days AS day, SUM(left_base) AS events, COUNT(*) AS lifetimes_ending
    FROM followed
    GROUP BY duration_days
),
steps AS (
    SELECT day, events,
        SUM(lifetimes_ending) OVER (ORDER BY day DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS at_risk
    FROM ending
),
before_age AS (
    -- no factor is 0 before t: someone (the longest lifetime, >= t) stays at risk
    SELECT COALESCE(EXP(SUM(LN(1.0 - CAST(events AS DOUBLE) / at_risk))), 1.0) AS share
    FROM steps
    WHERE day < $age AND events > 0
),
at_age AS (
    SELECT SUM(CASE WHEN duration_days >= $age THEN 1 ELSE 0 END) AS at_risk,
        SUM(CASE WHEN duration_days = $age THEN left_base ELSE 0 END) AS events
    FROM followed
)
SELECT
    100.0 * b.share * (1.0 - CAST(a.events AS DOUBLE) / NULLIF(a.at_risk, 0)) AS survival,
    100.0 * b.share AS survival_before,
    a.at_risk,
    a.events
FROM before_age AS b
CROSS JOIN at_age AS a
