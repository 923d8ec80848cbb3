-- Drops the server and its mapping, forgets the wrapper.
DROP USER MAPPING FOR CURRENT_USER SERVER archive;
DROP SERVER archive;
