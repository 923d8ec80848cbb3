ALTER DOMAIN shop.email DROP CONSTRAINT email_check;
