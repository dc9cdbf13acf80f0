-- The backup role (see roles.sql): read-only, past row-level security. Idempotent.
--   psql -U postgres -d postgres -v ON_ERROR_STOP=1 -v backup_password=... -f deploy/postgres/backup-role.sql
SELECT format('CREATE ROLE linli_backup LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS', :'backup_password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'linli_backup') \gexec
GRANT pg_read_all_data TO linli_backup;
