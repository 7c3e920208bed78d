# Every released version of vapi_pool can be updated to the current one, and
# the result is the same set of objects, with the same definitions, as a fresh
# install of the current version (the pg_cron pattern: CREATE EXTENSION ...
# VERSION, then ALTER EXTENSION ... UPDATE).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use VapiPoolTest qw(new_vapi_node);

my $node = new_vapi_node('upgrade', create => 0);

# A description of every object the extension owns, with its definition.
my $describe = q{
SELECT string_agg(descr, E'\n' ORDER BY descr) FROM (
  SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
         || CASE WHEN d.classid = 'pg_proc'::regclass
                 THEN ' => ' || md5(pg_get_functiondef(d.objid)) ELSE '' END
         || CASE WHEN d.classid = 'pg_class'::regclass
                 THEN ' => ' || coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
                                          FROM pg_attribute a WHERE a.attrelid = d.objid AND a.attnum > 0 AND NOT a.attisdropped), '')
                 ELSE '' END AS descr
  FROM pg_depend d
  JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
  WHERE e.extname = 'vapi_pool' AND d.deptype = 'e'
  -- what hangs off the extension's tables and functions, and who may use them
  UNION ALL
  SELECT 'constraint ' || conrelid::regclass || '.' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'vapi_pool'::regnamespace
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'vapi_pool'::regnamespace
  UNION ALL
  SELECT 'policy ' || tablename || '.' || policyname || ' ' || permissive || ' ' || cmd || ' ' || roles::text
         || ' using ' || coalesce(qual, '') || ' check ' || coalesce(with_check, '')
  FROM pg_policies WHERE schemaname = 'vapi_pool'
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace = 'vapi_pool'::regnamespace AND NOT t.tgisinternal
  UNION ALL
  SELECT 'relation ' || relname || ' rls ' || relrowsecurity || ' forced ' || relforcerowsecurity
         || ' acl ' || coalesce(relacl::text, '') || ' options ' || coalesce(reloptions::text, '')
         || CASE WHEN relkind = 'v' THEN ' view ' || md5(pg_get_viewdef(oid)) ELSE '' END
  FROM pg_class WHERE relnamespace = 'vapi_pool'::regnamespace
  UNION ALL
  SELECT 'column acl ' || attrelid::regclass || '.' || attname || ' ' || attacl::text
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  WHERE c.relnamespace = 'vapi_pool'::regnamespace AND a.attacl IS NOT NULL
  UNION ALL
  SELECT 'function acl ' || oid::regprocedure || ' ' || coalesce(proacl::text, '')
  FROM pg_proc WHERE pronamespace = 'vapi_pool'::regnamespace
  UNION ALL
  SELECT 'schema acl ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'vapi_pool'
  -- which tables and sequences pg_dump writes the rows of (0.5.0)
  UNION ALL
  SELECT 'dumped ' || coalesce((SELECT string_agg(c::regclass::text, ',' ORDER BY c::regclass::text) FROM unnest(extconfig) c), '')
  FROM pg_extension WHERE extname = 'vapi_pool') s
};

my $default = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'vapi_pool'");
like($default, qr/^\d+\.\d+\.\d+$/, "default version $default is available");

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION vapi_pool CASCADE');
my $fresh = $node->safe_psql('fresh', $describe);
isnt($fresh, '', 'a fresh install owns objects');

my @versions = split /\n/, $node->safe_psql('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'vapi_pool' ORDER BY string_to_array(version, '.')::int[]");
ok(scalar(@versions) >= 1, 'released versions: ' . join(', ', @versions));

foreach my $v (@versions)
{
	(my $db = "from_$v") =~ s/\./_/g;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION vapi_pool VERSION '$v' CASCADE");
	$node->safe_psql($db, 'ALTER EXTENSION vapi_pool UPDATE');
	is($node->safe_psql($db, "SELECT extversion FROM pg_extension WHERE extname = 'vapi_pool'"),
		$default, "$v updates to $default");
	is($node->safe_psql($db, $describe), $fresh,
		"$v updated to $default has the objects of a fresh $default install");
}

# 0.5.0 makes the ids of the shared vendor accounts unique across
# organisations: an installation where two organisations share one is not
# updated until the operator decides whose it is, and nothing is changed.
if (grep { $_ eq '0.4.0' } @versions)
{
	$node->safe_psql('postgres', 'CREATE DATABASE shared_ids');
	$node->safe_psql('shared_ids', q{
		CREATE EXTENSION vapi_pool VERSION '0.4.0' CASCADE;
		INSERT INTO vapi_pool.orgs (org_id, name) VALUES
			('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');
		INSERT INTO vapi_pool.brokers (org_id, id, name, cal_event_type_id) VALUES
			('aaaaaaaa-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000001', 'Dana', 77),
			('bbbbbbbb-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000001', 'Kim', 77);
	});
	my ($rc, $out, $err) = $node->psql('shared_ids', 'ALTER EXTENSION vapi_pool UPDATE');
	isnt($rc, 0, 'an event type id two organisations share stops the update');
	like($err, qr/vendor ids registered more than once: Cal\.com event type id 77/, '... naming the id');
	like($err, qr/HINT:  Set the wrong copies to NULL/, '... and saying what to do');
	is($node->safe_psql('shared_ids', "SELECT extversion FROM pg_extension WHERE extname = 'vapi_pool'"),
		'0.4.0', '... and leaving 0.4.0 as it was');
	$node->safe_psql('shared_ids', q{UPDATE vapi_pool.brokers SET cal_event_type_id = NULL
		WHERE org_id = 'bbbbbbbb-0000-4000-8000-000000000000'});
	$node->safe_psql('shared_ids', 'ALTER EXTENSION vapi_pool UPDATE');
	is($node->safe_psql('shared_ids', "SELECT extversion || ' ' || count(*) FROM pg_extension, vapi_pool.brokers WHERE extname = 'vapi_pool' GROUP BY extversion"),
		"$default 2", 'once the operator decided, it updates with every row');
}

$node->stop;
done_testing();
