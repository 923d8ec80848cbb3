UPDATE shop.customers SET country = NULL WHERE country = 'DE';
