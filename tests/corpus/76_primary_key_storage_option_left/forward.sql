ALTER INDEX shop.products_pkey SET (fillfactor = 70);
