DROP COLLATION shop.case_insensitive;
