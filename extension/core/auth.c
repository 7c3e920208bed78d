/*
 * auth.c
 *	  Who is asking: the user and organisation of the current request, read
 *	  from the JWT claims PostgREST puts in request.jwt.claims.
 *
 * Every row level security policy of vapi_pool compares org_id with
 * auth_org_id(), once per statement.  On a point lookup that evaluation is
 * most of the statement, so it is C: the claims are parsed once per distinct
 * claims string (a pure function of the string, cached), and the membership
 * is read with a direct index scan of org_members, which bypasses that
 * table's own row level security the way a SECURITY DEFINER function would,
 * without the cost of one.
 *
 * On Supabase the user comes from auth.uid().  A schema "auth" can be made
 * by any role with CREATE on the database, so auth.uid() is trusted only
 * when both the schema and the function belong to a superuser or to a role
 * named in vapi_pool.auth_uid_owners (a superuser-only setting; by default
 * supabase_auth_admin, which owns auth.uid() on Supabase).  An auth.uid()
 * owned by anyone else is ignored, with one warning per session, and the
 * user is read from request.jwt.claims, as auth.uid() itself would.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lockdefs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/uuid.h"
#include "utils/varlena.h"

#include "core/auth.h"
#include "core/chars.h"
#include "core/saved_plans.h"
#include "core/settings.h"

/* What one claims document says; cached for the last document seen. */
typedef struct Claims
{
	bool		has_sub;
	pg_uuid_t	sub;
	bool		has_org;
	pg_uuid_t	org;
} Claims;

static char *cached_claims_text = NULL;
static Claims cached_claims;

/* whether this session has warned about an untrusted auth.uid() */
static bool warned_untrusted_auth_uid = false;

/* Whether role may own the auth.uid() vapi_pool trusts: a superuser or a named role. */
static bool
trusted_auth_owner(Oid role)
{
	char	   *list;
	List	   *names;
	ListCell   *lc;
	bool		trusted = false;

	if (superuser_arg(role))
		return true;
	if (vp_auth_uid_owners == NULL || vp_auth_uid_owners[0] == '\0')
		return false;
	list = pstrdup(vp_auth_uid_owners);
	if (!SplitIdentifierString(list, ',', &names))
		return false;			/* the check hook of a list setting keeps this from happening */
	foreach(lc, names)
	{
		if (get_role_oid((const char *) lfirst(lc), true) == role)
		{
			trusted = true;
			break;
		}
	}
	list_free(names);
	pfree(list);
	return trusted;
}

/*
 * auth.uid() when it exists and is trusted (see the file header), else
 * InvalidOid.  Warns once per session about one that exists but is not.
 */
static Oid
trusted_auth_uid_function(void)
{
	Oid			fn = LookupFuncName(list_make2(makeString("auth"), makeString("uid")), 0, NULL, true);
	HeapTuple	tup;
	Oid			fn_owner;
	Oid			nsp_owner;

	if (!OidIsValid(fn))
		return InvalidOid;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	fn_owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(get_func_namespace(fn)));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	nsp_owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	if (trusted_auth_owner(fn_owner) && trusted_auth_owner(nsp_owner))
		return fn;
	if (!warned_untrusted_auth_uid)
	{
		char	   *fn_owner_name = GetUserNameFromId(fn_owner, true);
		char	   *nsp_owner_name = GetUserNameFromId(nsp_owner, true);

		warned_untrusted_auth_uid = true;
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("vapi_pool ignores auth.uid(): it or its schema is not owned by a trusted role"),
				 errdetail("The function is owned by %s and schema auth by %s.",
						   fn_owner_name ? fn_owner_name : "an unknown role",
						   nsp_owner_name ? nsp_owner_name : "an unknown role"),
				 errhint("The requesting user is read from request.jwt.claims instead.  A superuser can trust "
						 "the owner with ALTER SYSTEM SET vapi_pool.auth_uid_owners.")));
	}
	return InvalidOid;
}

/* Parse a uuid in the canonical 8-4-4-4-12 hex form; false if it is not one. */
static bool
parse_uuid(const char *s, int len, pg_uuid_t *out)
{
	int			byte = 0;

	if (!vp_is_uuid_text(s, len))
		return false;
	for (int i = 0; i < len; i += 2)
	{
		if (s[i] == '-')
			i++;				/* the groups have even lengths: a dash starts a pair */
		out->data[byte++] = (unsigned char) (vp_hex_value((unsigned char) s[i]) << 4 |
											 vp_hex_value((unsigned char) s[i + 1]));
	}
	return true;
}

/*
 * A claim that must hold a uuid: false when absent, null or empty, true with
 * the uuid when well formed, an error otherwise (a malformed claim is a
 * configuration mistake to report, not silently nobody).
 */
static bool
claim_uuid(const char *claim, JsonbValue *value, pg_uuid_t *out)
{
	if (value == NULL || value->type == jbvNull ||
		(value->type == jbvString && value->val.string.len == 0))
		return false;
	if (value->type == jbvString &&
		parse_uuid(value->val.string.val, value->val.string.len, out))
		return true;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("the %s claim of the request is not a uuid", claim),
			 value->type == jbvString ?
			 errdetail("The claim holds \"%.*s\".", Min(value->val.string.len, 64), value->val.string.val) :
			 errdetail("The claim is not a string."),
			 errhint("vapi_pool identifies users and organisations by uuid, as Supabase Auth does.")));
	return false;				/* not reached */
}

/* The value of key in a JSON object container, or NULL. */
static JsonbValue *
object_key(JsonbContainer *object, const char *key, JsonbValue *buf)
{
	if (object == NULL || !JsonContainerIsObject(object))
		return NULL;
	return getKeyJsonValueFromContainer(object, key, strlen(key), buf);
}

/* Parse a claims document: its sub, and its org_id (top level or app_metadata). */
static void
parse_claims(const char *text, Claims *claims)
{
	Jsonb	   *doc = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	JsonbValue	buf;
	JsonbValue *value;

	memset(claims, 0, sizeof(*claims));
	claims->has_sub = claim_uuid("sub", object_key(&doc->root, "sub", &buf), &claims->sub);
	value = object_key(&doc->root, "org_id", &buf);
	if (value == NULL || value->type == jbvNull)
	{
		JsonbValue	meta_buf;
		JsonbValue *meta = object_key(&doc->root, "app_metadata", &meta_buf);

		value = (meta != NULL && meta->type == jbvBinary) ?
			object_key(meta->val.binary.data, "org_id", &buf) : NULL;
	}
	claims->has_org = claim_uuid("org_id", value, &claims->org);
}

/* The claims of the current request (all false outside a request). */
static const Claims *
current_claims(void)
{
	static const Claims none = {0};
	const char *text = GetConfigOption("request.jwt.claims", true, false);
	Claims		parsed;

	if (text == NULL || text[0] == '\0')
		return &none;
	if (cached_claims_text != NULL && strcmp(cached_claims_text, text) == 0)
		return &cached_claims;
	parse_claims(text, &parsed);
	/* cache only what parsed cleanly */
	if (cached_claims_text != NULL)
		pfree(cached_claims_text);
	cached_claims_text = MemoryContextStrdup(TopMemoryContext, text);
	cached_claims = parsed;
	return &cached_claims;
}

/*
 * The requesting user: auth.uid() where a trusted Supabase auth schema
 * provides it, else the sub claim exactly as Supabase's auth.uid() reads it
 * (the legacy request.jwt.claim.sub setting first, then request.jwt.claims).
 */
static bool
request_user(pg_uuid_t *uid)
{
	Oid			auth_uid_fn;
	const char *legacy;
	const Claims *claims;

	auth_uid_fn = trusted_auth_uid_function();
	if (OidIsValid(auth_uid_fn))
	{
		FmgrInfo	flinfo;
		LOCAL_FCINFO(fcinfo, 0);
		Datum		result;

		if (get_func_rettype(auth_uid_fn) != UUIDOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("auth.uid() does not return uuid"),
					 errhint("vapi_pool reads the requesting user from auth.uid() when it exists, as on Supabase.")));
		fmgr_info(auth_uid_fn, &flinfo);
		InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL, NULL);
		result = FunctionCallInvoke(fcinfo);
		if (fcinfo->isnull)
			return false;
		*uid = *DatumGetUUIDP(result);
		return true;
	}

	legacy = GetConfigOption("request.jwt.claim.sub", true, false);
	if (legacy != NULL && legacy[0] != '\0')
	{
		JsonbValue	value;

		value.type = jbvString;
		value.val.string.val = (char *) legacy;
		value.val.string.len = strlen(legacy);
		return claim_uuid("sub", &value, uid);
	}
	claims = current_claims();
	if (claims->has_sub)
		*uid = claims->sub;
	return claims->has_sub;
}

/*
 * The organisation user belongs to: claimed when given and the user is a
 * member of it, else the user's only organisation.  Sets *role to the
 * membership's role (palloc'd) when role is not NULL.  Reads org_members by
 * its user_id index, bypassing its row level security.
 */
static bool
member_org(const pg_uuid_t *user, const pg_uuid_t *claimed, pg_uuid_t *org, char **role)
{
	Oid			nsp = get_namespace_oid("vapi_pool", false);
	Oid			relid = get_relname_relid("org_members", nsp);
	Oid			indexid = get_relname_relid("org_members_user_id_idx", nsp);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	AttrNumber	org_att;
	AttrNumber	role_att;
	int			found = 0;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("vapi_pool.org_members or its user_id index is missing")));
	org_att = get_attnum(relid, "org_id");
	role_att = get_attnum(relid, "role");

	rel = table_open(relid, AccessShareLock);
	/* systable_beginscan takes the table's attribute number, not the index's */
	ScanKeyInit(&key, get_attnum(relid, "user_id"), BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(user));
	scan = systable_beginscan(rel, indexid, true,
							  ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot(),
							  1, &key);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		pg_uuid_t  *row_org = DatumGetUUIDP(heap_getattr(tup, org_att, RelationGetDescr(rel), &isnull));
		Datum		row_role;

		if (claimed != NULL && memcmp(row_org, claimed, sizeof(pg_uuid_t)) != 0)
			continue;
		found++;
		*org = *row_org;
		row_role = heap_getattr(tup, role_att, RelationGetDescr(rel), &isnull);
		if (role != NULL && !isnull)
			*role = TextDatumGetCString(row_role);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found == 1;
}

PG_FUNCTION_INFO_V1(vapi_pool_auth_uid);

/* auth_uid(): the requesting user, or NULL. */
Datum
vapi_pool_auth_uid(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *uid = palloc(sizeof(pg_uuid_t));

	if (!request_user(uid))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(uid);
}

PG_FUNCTION_INFO_V1(vapi_pool_auth_claimed_org_id);

/* auth_claimed_org_id(): the org_id claim of the request, or NULL. */
Datum
vapi_pool_auth_claimed_org_id(PG_FUNCTION_ARGS)
{
	const Claims *claims = current_claims();
	pg_uuid_t  *org;

	if (!claims->has_org)
		PG_RETURN_NULL();
	org = palloc(sizeof(pg_uuid_t));
	*org = claims->org;
	PG_RETURN_UUID_P(org);
}

PG_FUNCTION_INFO_V1(vapi_pool_auth_org_id);

/*
 * auth_org_id(): the organisation every policy compares org_id with.  A
 * signed-in user gets their organisation (the claimed one if they belong to
 * it, else their only one); a role that bypasses row level security
 * (service_role) acting for one organisation names it with the org_id claim;
 * anyone else gets NULL, which matches no row.
 */
Datum
vapi_pool_auth_org_id(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	pg_uuid_t  *org = palloc(sizeof(pg_uuid_t));
	const Claims *claims;

	if (request_user(&uid))
	{
		claims = current_claims();
		if (!member_org(&uid, claims->has_org ? &claims->org : NULL, org, NULL))
			PG_RETURN_NULL();
		PG_RETURN_UUID_P(org);
	}
	if (!superuser() && !has_bypassrls_privilege(GetUserId()))
		PG_RETURN_NULL();
	claims = current_claims();
	if (!claims->has_org)
		PG_RETURN_NULL();
	*org = claims->org;
	PG_RETURN_UUID_P(org);
}

PG_FUNCTION_INFO_V1(vapi_pool_auth_org_role);

/* auth_org_role(): the signed-in user's role in their organisation, or NULL. */
Datum
vapi_pool_auth_org_role(PG_FUNCTION_ARGS)
{
	pg_uuid_t	uid;
	pg_uuid_t	org;
	char	   *role = NULL;
	const Claims *claims;

	if (!request_user(&uid))
		PG_RETURN_NULL();
	claims = current_claims();
	if (!member_org(&uid, claims->has_org ? &claims->org : NULL, &org, &role) || role == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(role));
}

/* The claims of an organisation's service, for this transaction. */
static VpPlan set_claims = {
	.sql = "SELECT pg_catalog.set_config('request.jwt.claims',"
	" pg_catalog.jsonb_build_object('role', 'service_role', 'org_id', $1)::text, true)",
	.nargs = 1, .argtypes = {UUIDOID}
};

/* Runs the rest of the transaction as the organisation's service (request.jwt.claims). */
void
vp_set_org_claims(Datum org_id)
{
	vp_execute(&set_claims, &org_id, NULL, 1);
}
