CREATE FOREIGN DATA WRAPPER shop_archive;
CREATE SERVER archive FOREIGN DATA WRAPPER shop_archive OPTIONS (path '/archive');
CREATE USER MAPPING FOR CURRENT_USER SERVER archive OPTIONS (password 'not-in-any-report');
