CREATE TABLE shop.wishlist (customer_id bigint, product_id integer);
