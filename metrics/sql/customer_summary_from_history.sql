-- Customer summary for the predictive CLV models from the purchase history stored with the
-- orders (sql/purchase_history.sql): the columns of sql/customer_summary.sql in one
-- GROUP BY customer, with no pass over each customer's purchase days. It holds for filter
-- states that keep or drop whole customers (no segment filter on a column of the orders),
-- since each customer's stored first and previous purchase are then also those of the
-- filtered data.
--
-- A purchase (amount >= 0) starts a new purchase day when its previous purchase is on an
-- earlier day: of several orders on one day, one gets the earlier day as its previous
-- purchase and the others that same day, so counting those orders counts days. Orders on
-- the first purchase day are not repeats. Refunds are left out. Placeholders in curly
-- brackets are a quoted table name and engine expressions filled in by
-- metrics/clv/summary.py; every value is a bound $parameter.
histories AS (
    SELECT customer_id,
        first_purchase_on AS first_day,
        MAX(CASE WHEN order_date <= CAST($calibration_end AS DATE) THEN order_date END)
            AS last_day,
        COUNT(CASE WHEN order_date <= CAST($calibration_end AS DATE)
            AND previous_purchase_on < order_date THEN 1 END) AS frequency,
        SUM(CASE WHEN order_date <= CAST($calibration_end AS DATE)
            AND order_date > first_purchase_on THEN amount ELSE 0 END) AS repeat_value,
        COUNT(CASE WHEN order_date > CAST($calibration_end AS DATE)
            AND previous_purchase_on < order_date THEN 1 END) AS holdout_frequency
    FROM {orders_table}
    WHERE amount >= 0
        AND first_purchase_on <= CAST($calibration_end AS DATE)
        AND order_date <= COALESCE(CAST($holdout_end AS DATE), CAST($calibration_end AS DATE))
        AND ({segment_filter})
    GROUP BY customer_id, first_purchase_on
)
