/*
 * operator.h
 *	  vapi-shim status and vapi-shim dead-letters: the operator's view of a
 *	  deployment (health, pools, numbers, dead letters, backlog, calls) and
 *	  the replay of a dead letter, from the command line.
 */
#ifndef VAPI_SHIM_OPERATOR_H
#define VAPI_SHIM_OPERATOR_H

/* Run "vapi-shim status ..." or "vapi-shim dead-letters ..." (argv[0] is the command). */
extern int	operator_main(int argc, char **argv);

#endif							/* VAPI_SHIM_OPERATOR_H */
