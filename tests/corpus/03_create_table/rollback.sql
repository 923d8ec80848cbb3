DROP TABLE shop.coupons;
