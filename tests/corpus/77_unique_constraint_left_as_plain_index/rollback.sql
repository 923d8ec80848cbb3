-- the unique index is back, the constraint is not
SELECT 1;
