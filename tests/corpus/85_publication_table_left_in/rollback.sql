-- Drops the publication only if it were empty: it leaves it, with both tables.
ALTER PUBLICATION shop_changes DROP TABLE shop.orders;
