ALTER TABLE shop.products ADD COLUMN active boolean NOT NULL DEFAULT true;
