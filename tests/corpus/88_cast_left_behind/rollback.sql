-- Forgets the cast and its function.
SELECT 1;
