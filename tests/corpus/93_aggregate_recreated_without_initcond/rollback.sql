-- The initial value is lost: the aggregate of no rows is NULL instead of ''.
CREATE AGGREGATE shop.concat_all(text) (SFUNC = textcat, STYPE = text);
