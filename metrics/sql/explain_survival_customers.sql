-- The customers behind the survival at age t = $age days (metrics/explain/cohorts.py): the
-- customers of sql/explain_survival_followed.sql still followed at t (lifetimes of t days
-- or more), with 0/1 columns whose totals are n (at_risk) and d (events, those who left on
-- day t), shortest lifetimes first.
SELECT customer_id, duration_days, event,
    CASE WHEN duration_days >= $age THEN 1 ELSE 0 END AS at_risk,
    CASE WHEN duration_days = $age THEN left_base ELSE 0 END AS events
FROM followed
WHERE duration_days >= $age
ORDER BY duration_days, customer_id
