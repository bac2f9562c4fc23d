-- Each customer's value of several segment columns of the orders on their first purchase
-- day, how they were acquired (the alphabetically first if that day has several), from the
-- purchase history stored at ingest (sql/purchase_history.sql: first_purchase_on): the
-- rule of sql/customer_groups_first_value.sql for every column in one pass, without its
-- window. Only for the customers with an order from $rows_from to $rows_to, the orders the
-- KPI query reads (sql/kpis_from_history.sql): no other order asks for a value.
-- Columns: customer_id and one per segment column. {values} are the MIN(...) of the
-- quoted columns, {orders_table} the orders (filled in by metrics/query/splits.py).
SELECT customer_id,
    {values}
FROM {orders_table}
WHERE amount >= 0 AND order_date = first_purchase_on
    AND customer_id IN (
        SELECT customer_id FROM {orders_table}
        WHERE order_date BETWEEN $rows_from AND $rows_to
    )
GROUP BY customer_id
