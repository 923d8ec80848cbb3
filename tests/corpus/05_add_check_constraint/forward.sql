ALTER TABLE shop.products ADD CONSTRAINT products_stock_check CHECK (stock >= 0);
