ALTER SEQUENCE shop.invoice_number INCREMENT 10;
