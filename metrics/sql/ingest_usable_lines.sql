-- The usable parsed lines of an uploaded file: an order with any unusable line is set
-- aside whole, so no order is half counted (a line without an order id stands alone).
SELECT * FROM parsed
WHERE reason IS NULL
    AND (order_id IS NULL OR order_id NOT IN (
        SELECT order_id FROM parsed WHERE reason IS NOT NULL AND order_id IS NOT NULL))
