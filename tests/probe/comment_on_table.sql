COMMENT ON TABLE accounts IS 'customer accounts';
