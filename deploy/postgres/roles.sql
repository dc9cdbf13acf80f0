-- The roles and the database, created once by a superuser. Idempotent: what exists is kept
-- (passwords included; change one with ALTER ROLE, see deploy/README.md "Rotating secrets").
--
--   psql -U postgres -d postgres -v ON_ERROR_STOP=1 \
--     -v owner_password=... -v app_password=... -v backup_password=... -v dbname=linli \
--     -f deploy/postgres/roles.sql
--
-- linli_owner   owns the schema and runs the migrations (MIGRATIONS_DATABASE_URL);
-- linli_app     what the app and the workers connect as (DATABASE_URL): reads and writes
--               rows, owns nothing, cannot bypass row-level security (DATABASE_APP_ROLE);
-- linli_backup  reads everything for pg_dump: row-level security is FORCE'd on tenant
--               tables, so even the owner sees no tenant row without a community set, and
--               pg_dump refuses to dump a table whose rows a policy would hide. BYPASSRLS plus
--               pg_read_all_data (read-only) is the least that can dump the database.

SELECT format('CREATE ROLE linli_owner LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', :'owner_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'linli_owner') \gexec
SELECT format('CREATE ROLE linli_app LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', :'app_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'linli_app') \gexec
\ir backup-role.sql

SELECT format('CREATE DATABASE %I OWNER linli_owner ENCODING %L TEMPLATE template0', :'dbname', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec

\connect :"dbname"
ALTER SCHEMA public OWNER TO linli_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO linli_app;
-- every migration grants again (core.database_guards); these cover tables made in between
ALTER DEFAULT PRIVILEGES FOR ROLE linli_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO linli_app;
ALTER DEFAULT PRIVILEGES FOR ROLE linli_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO linli_app;
