DROP POLICY products_in_stock ON shop.products;
