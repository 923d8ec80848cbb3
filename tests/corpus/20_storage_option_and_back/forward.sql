ALTER TABLE shop.products SET (fillfactor = 70, autovacuum_enabled = false);
