-- Drops the configuration, forgets the dictionary.
DROP TEXT SEARCH CONFIGURATION shop.product_search;
