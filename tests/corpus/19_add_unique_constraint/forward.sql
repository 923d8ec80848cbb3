ALTER TABLE shop.products ADD CONSTRAINT products_title_key UNIQUE (title);
