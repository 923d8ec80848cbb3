-- forgot ALTER INDEX ... RESET (fillfactor)
SELECT 1;
