ALTER TABLE shop.orders DROP COLUMN note;
