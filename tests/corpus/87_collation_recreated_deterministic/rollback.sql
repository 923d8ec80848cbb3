-- Recreated, but deterministic: comparisons are case-sensitive again.
CREATE COLLATION shop.case_insensitive (provider = icu, locale = 'und-u-ks-level2');
