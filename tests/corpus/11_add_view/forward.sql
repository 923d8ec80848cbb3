CREATE VIEW shop.vip_customers AS SELECT id, name FROM shop.customers WHERE notes = 'VIP';
