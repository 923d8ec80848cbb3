ALTER TABLE shop.products SET (fillfactor = 90);
ALTER TABLE shop.products RESET (autovacuum_enabled);
