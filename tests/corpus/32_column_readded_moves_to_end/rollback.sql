ALTER TABLE shop.products ADD COLUMN stock integer NOT NULL DEFAULT 0;
