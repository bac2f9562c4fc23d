-- The condition of a cohort cell of the date range (sql/cohort_cells*.sql): the period of
-- an order, {period}, lies from its cohort's period, {cohort}, to the range's last period.
{period} BETWEEN {cohort} AND $last_index
