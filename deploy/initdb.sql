-- Runs once, when the PostgreSQL volume is created (docker-entrypoint-initdb.d): the warehouse
-- tables get their own schema beside the app DB's tables (public) in the `kaname` database.
CREATE SCHEMA IF NOT EXISTS warehouse AUTHORIZATION kaname;
