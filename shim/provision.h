/*
 * provision.h
 *	  vapi-shim pool fill|sync and vapi-shim assistants push: one-shot commands
 *	  that set up the Vapi account (numbers, assistants) for this deployment.
 */
#ifndef VAPI_SHIM_PROVISION_H
#define VAPI_SHIM_PROVISION_H

/* Run "vapi-shim pool ..." or "vapi-shim assistants ..." (argv[0] is "pool" or "assistants"). */
extern int	provision_main(int argc, char **argv);

#endif							/* VAPI_SHIM_PROVISION_H */
