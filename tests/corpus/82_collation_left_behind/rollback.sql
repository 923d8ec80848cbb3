-- Forgets the collation.
SELECT 1;
