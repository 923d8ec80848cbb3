ALTER TABLE shop.orders SET (fillfactor = 50);
