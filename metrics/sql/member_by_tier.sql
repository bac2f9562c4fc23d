-- The condition "this order's customer is a loyalty-programme member" when the customers
-- table says so: their loyalty tier is neither empty nor one of the no words ({words}, each
-- a bound $parameter) (metrics/loyalty.py, for sql/programme_customers.sql).
customer_id IN (
    SELECT customer_id
    FROM {customers_table}
    WHERE NULLIF(trim(CAST(loyalty_tier AS VARCHAR)), '') IS NOT NULL
        AND lower(trim(CAST(loyalty_tier AS VARCHAR))) NOT IN ({words})
)
