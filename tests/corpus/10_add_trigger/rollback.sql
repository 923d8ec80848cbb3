DROP TRIGGER customers_audit ON shop.customers;
