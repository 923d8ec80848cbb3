GRANT SELECT ON shop.orders TO app_reader;
