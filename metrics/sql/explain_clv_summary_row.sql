-- One customer's row of the customer summary the predictive models are fitted on
-- (metrics/clv/summary.py, sql/customer_summary*.sql), in the models' units: frequency
-- (repeat purchase days), recency and T in weeks, the mean value of a repeat purchase day;
-- and the fitted parameters and options of the figure, bound as they were used.
SELECT {columns}
FROM (
{summary_query}) AS s
WHERE CAST(s.customer_id AS VARCHAR) = $explained_customer
