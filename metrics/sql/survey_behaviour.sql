-- What promoters, passives and detractors do next, per NPS group and window (from
-- followed, sql/survey_followed.sql): the answers, those whose customer id is in the
-- orders, those followed (matched, window ended by the last order day) and left out, the
-- followed answers whose customer placed a purchase in the window (refunds are not
-- purchases), and the net revenue of the windows (refunds subtracted).
SELECT
    score_group,
    window_months,
    COUNT(*) AS answers,
    COUNT(*) FILTER (WHERE matched) AS matched,
    COUNT(*) FILTER (WHERE matched AND counted) AS followed,
    COUNT(*) FILTER (WHERE matched AND NOT counted) AS left_out,
    COUNT(*) FILTER (WHERE matched AND counted AND purchases > 0) AS ordered_again,
    CAST(COALESCE(SUM(revenue) FILTER (WHERE matched AND counted), 0) AS DOUBLE) AS revenue
FROM followed
GROUP BY score_group, window_months
