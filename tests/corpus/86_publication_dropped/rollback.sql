DROP PUBLICATION shop_changes;
