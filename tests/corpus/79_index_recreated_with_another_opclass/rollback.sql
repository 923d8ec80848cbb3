-- Same column, but an operator class that serves LIKE 'x%' instead of the default one.
CREATE INDEX customers_country_idx ON shop.customers (country bpchar_pattern_ops);
