CREATE AGGREGATE shop.concat_all(text) (SFUNC = textcat, STYPE = text, INITCOND = '');
