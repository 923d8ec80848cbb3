ALTER TABLE shop.products ADD COLUMN IF NOT EXISTS active boolean DEFAULT true;
