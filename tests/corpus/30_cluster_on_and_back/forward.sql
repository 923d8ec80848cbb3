ALTER TABLE shop.products CLUSTER ON products_sku_key;
