/*
 * dispatcher.c
 *	  vapi-shim dispatch (being built).
 */
#include <stdio.h>

#include "config.h"
#include "dispatcher.h"

/* Not built yet. */
int
dispatcher_main(int argc, char **argv)
{
	fputs("vapi-shim: dispatch is not built yet\n", stderr);
	return SHIM_EXIT_USAGE;
}
