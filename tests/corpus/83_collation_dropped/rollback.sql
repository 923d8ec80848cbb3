DROP COLLATION shop.accent_insensitive;
