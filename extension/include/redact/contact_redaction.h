/*
 * contact_redaction.h
 *	  A contact's own known details (name, e-mail address, phone number, ZIP
 *	  code, as stored on the lead) out of a text (redact/contact_redaction.c),
 *	  used by the row triggers of call logs and Instantly events.
 */
#ifndef VAPI_POOL_CONTACT_REDACTION_H
#define VAPI_POOL_CONTACT_REDACTION_H

#include "postgres.h"

#include "redact/redact_pii.h"

#define VP_CONTACT_MAX_NAMES	8	/* words of the first and last names */
#define VP_CONTACT_NAME_LEN		48	/* a longer name word is not matched */
#define VP_CONTACT_MAX_NUMBERS	4	/* ways of writing the phone number */
#define VP_CONTACT_EMAIL_LEN	254

/* One word of the contact's name, as stored ("Pat", "O'Brien", "Renée"). */
typedef struct ContactName
{
	char		text[VP_CONTACT_NAME_LEN];
	int			len;
	bool		common;			/* also an ordinary word ("Will", "May"): matched only as a name */
	bool		month;			/* also a month ("May", "June") */
} ContactName;

/* What is known of one contact; every part may be missing. */
typedef struct ContactDetails
{
	int			nnames;
	ContactName names[VP_CONTACT_MAX_NAMES];
	char		email[VP_CONTACT_EMAIL_LEN + 1];	/* lower case; "" when unknown */
	int			email_len;
	int			local_len;		/* the part before '@' */
	int			nnumbers;
	char		numbers[VP_CONTACT_MAX_NUMBERS][16];	/* digits: +cc, national, trunk 0, local */
	char		zip[6];			/* five digits; "" when unknown */
} ContactDetails;

extern void vp_contact_init(ContactDetails *c);
extern void vp_contact_add_name(ContactDetails *c, const char *name);
extern void vp_contact_set_email(ContactDetails *c, const char *email);
extern void vp_contact_set_phone(ContactDetails *c, Datum e164);
extern void vp_contact_set_zip(ContactDetails *c, const char *zip);
extern bool vp_contact_known(const ContactDetails *c);
extern bool vp_contact_load(ContactDetails *c, Datum org_id, Datum lead_id, const char *email);
extern char *vp_redact_contact(const char *src, int len, const ContactDetails *c, int *out_len);
extern Datum vp_redact_contact_text(Datum text, const ContactDetails *c);
extern Datum vp_redact_text_for_contact(Datum text, const ContactDetails *c, const RedactOptions *o);
extern void vp_org_redact_options(RedactOptions *o, Datum org_id);

#endif							/* VAPI_POOL_CONTACT_REDACTION_H */
