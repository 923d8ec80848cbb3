UPDATE shop.customers SET country = 'DE' WHERE country IS NULL;
