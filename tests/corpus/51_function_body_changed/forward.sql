CREATE OR REPLACE FUNCTION shop.order_total(p_order bigint) RETURNS numeric LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(quantity * unit_price), 0) * 1.19 FROM shop.order_items WHERE order_id = p_order
$$;
