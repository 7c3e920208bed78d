-- The pool's invariants (bench/pool_bench.sh); prints one line of counts of
-- violations, each 0 when the pool is consistent:
--   assigned_not_one     a number 'assigned' without exactly one unreleased assignment
--   available_held       an 'available' (or retired) number with an unreleased assignment
--   number_two           a number with 2+ unreleased assignments
--   lead_two             a lead with 2+ unreleased assignments
--   lead_link            a lead whose vapi_assignment_id is not its unreleased
--                        assignment (or is set while it has none)
WITH ua AS (
	SELECT org_id, id, pool_number_id, lead_id FROM vapi_pool.vapi_number_assignments WHERE status <> 'released'),
per_number AS (
	SELECT p.status, count(ua.id) AS n
	FROM vapi_pool.vapi_number_pool p LEFT JOIN ua ON ua.org_id = p.org_id AND ua.pool_number_id = p.id
	GROUP BY p.org_id, p.id, p.status),
per_lead AS (
	SELECT l.vapi_assignment_id, count(ua.id) AS n, min(ua.id::text)::uuid AS aid
	FROM vapi_pool.leads l LEFT JOIN ua ON ua.org_id = l.org_id AND ua.lead_id = l.id
	GROUP BY l.org_id, l.id, l.vapi_assignment_id),
v AS (
	SELECT (SELECT count(*) FROM per_number WHERE status = 'assigned' AND n <> 1) AS assigned_not_one,
		   (SELECT count(*) FROM per_number WHERE status <> 'assigned' AND n > 0) AS available_held,
		   (SELECT count(*) FROM per_number WHERE n >= 2) AS number_two,
		   (SELECT count(*) FROM per_lead WHERE n >= 2) AS lead_two,
		   (SELECT count(*) FROM per_lead
			 WHERE (n = 1 AND vapi_assignment_id IS DISTINCT FROM aid) OR (n = 0 AND vapi_assignment_id IS NOT NULL)) AS lead_link)
SELECT assigned_not_one + available_held + number_two + lead_two + lead_link AS total,
	   format('assigned_not_one=%s available_held=%s number_two=%s lead_two=%s lead_link=%s',
			  assigned_not_one, available_held, number_two, lead_two, lead_link) AS detail
FROM v;
