-- The customers behind the retention uplift simulator's baseline (metrics/explain/loyalty.py),
-- over the CTEs of sql/simulator_baseline_customers.sql (they come first): every customer in
-- the base at the window's start or end, new in it or with revenue in it, with the 0/1 and
-- revenue columns whose totals are the baseline's S, retained, E, new customers and revenue.
SELECT customer_id, first_purchase, latest_purchase, start_customers, retained_customers,
    end_customers, new_customers, revenue
FROM baseline_customers
WHERE start_customers = 1 OR end_customers = 1 OR new_customers = 1 OR revenue <> 0
ORDER BY customer_id
