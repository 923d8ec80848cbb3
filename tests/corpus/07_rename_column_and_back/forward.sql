ALTER TABLE shop.customers RENAME COLUMN notes TO remarks;
