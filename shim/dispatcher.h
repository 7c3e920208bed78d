/*
 * dispatcher.h
 *	  vapi-shim dispatch: delivers the outbox jobs the database queued.
 */
#ifndef VAPI_SHIM_DISPATCHER_H
#define VAPI_SHIM_DISPATCHER_H

/* Run "vapi-shim dispatch [OPTION]..." (argv[0] is "dispatch"); returns the exit status. */
extern int	dispatcher_main(int argc, char **argv);

#endif							/* VAPI_SHIM_DISPATCHER_H */
