CREATE FUNCTION shop.customer_orders(p_customer bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM shop.orders WHERE customer_id = p_customer
$$;
