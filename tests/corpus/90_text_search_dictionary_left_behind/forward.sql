CREATE TEXT SEARCH DICTIONARY shop.english_simple (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION shop.product_search (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION shop.product_search ALTER MAPPING FOR asciiword WITH shop.english_simple;
