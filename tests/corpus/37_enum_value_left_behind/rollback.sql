-- PostgreSQL cannot drop an enum value; the author gave up.
SELECT 1;
