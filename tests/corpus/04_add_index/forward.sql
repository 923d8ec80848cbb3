CREATE INDEX products_title_idx ON shop.products (title);
