DROP DOMAIN shop.positive_int;
