-- Run in each service database (idempotent): objects an older setup created as the cluster's
-- administrator move to settlement_owner, so its migrations can alter them (a table's own
-- sequences move with it).
DO $$
DECLARE item record;
BEGIN
  FOR item IN
    SELECT format('ALTER TABLE %I.%I OWNER TO settlement_owner', schemaname, tablename) AS ddl
      FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'settlement_owner'
    UNION ALL
    SELECT format('ALTER FUNCTION %s OWNER TO settlement_owner', p.oid::regprocedure)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> 'settlement_owner'
  LOOP
    EXECUTE item.ddl;
  END LOOP;
END $$;
