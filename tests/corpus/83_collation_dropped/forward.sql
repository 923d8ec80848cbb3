CREATE COLLATION shop.accent_insensitive (provider = icu, locale = 'und-u-ks-level1', deterministic = false);
