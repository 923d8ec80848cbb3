CREATE DOMAIN shop.positive_int AS integer NOT NULL CHECK (VALUE > 0);
