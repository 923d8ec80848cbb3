UPDATE shop.products SET stock = stock - 5;
