-- Forgets the publication.
SELECT 1;
