-- The customers of the customer summary the predictive models are fitted on
-- (metrics/clv/summary.py, sql/customer_summary*.sql), counted, with the fitted parameters
-- and options of the figure bound as they were used: the inputs of a sum or mean of every
-- customer's prediction besides the sum itself, which the models' formulas compute in
-- Python from each customer's summary row (metrics/explain/clv.py).
SELECT {columns}
FROM (
{summary_query}) AS s
