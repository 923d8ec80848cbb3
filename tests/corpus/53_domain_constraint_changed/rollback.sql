ALTER DOMAIN shop.email ADD CONSTRAINT email_check CHECK (VALUE ~ '@');
