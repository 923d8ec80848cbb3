-- forgot to drop shop.wishlist
SELECT 1;
