DROP VIEW shop.vip_customers;
