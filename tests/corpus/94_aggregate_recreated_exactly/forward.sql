DROP AGGREGATE shop.concat_all(text);
