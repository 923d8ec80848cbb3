CREATE FUNCTION shop.customer_label(shop.customers) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT $1.name || ' <' || $1.email || '>' $$;
CREATE CAST (shop.customers AS text) WITH FUNCTION shop.customer_label(shop.customers);
