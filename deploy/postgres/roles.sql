-- The roles and databases of the system, idempotent (run as the cluster's administrator with
-- psql -v owner_password=... -v service_password=...; deploy/local/postgres.sh and the compose
-- file's init script do). settlement_owner runs the migrations and owns every database, table
-- and trigger; each service connects as its own role, which owns nothing and can reach only its
-- own database. The grants on tables are given by the migrations (shared/db/migrations.py).
SELECT format('CREATE ROLE %I', r)
  FROM unnest(ARRAY['settlement_owner', 'orders_service', 'ledger_service', 'payouts_service']) r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE settlement_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS'
              ' NOINHERIT PASSWORD %L', r, :'service_password')
  FROM unnest(ARRAY['orders_service', 'ledger_service', 'payouts_service']) r \gexec

SELECT format('CREATE DATABASE %I OWNER settlement_owner', d)
  FROM unnest(ARRAY['orders', 'ledger', 'payouts']) d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d) \gexec
SELECT format('ALTER DATABASE %I OWNER TO settlement_owner', d),
       format('REVOKE ALL ON DATABASE %I FROM PUBLIC', d),
       format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', d, d || '_service')
  FROM unnest(ARRAY['orders', 'ledger', 'payouts']) d \gexec
