CREATE INDEX products_price_idx ON shop.products (price);
