CREATE TRIGGER customers_audit AFTER INSERT ON shop.customers FOR EACH STATEMENT EXECUTE FUNCTION shop.touch_updated_at();
