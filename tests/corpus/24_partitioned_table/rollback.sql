DROP TABLE shop.events;
