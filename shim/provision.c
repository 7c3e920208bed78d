/*
 * provision.c
 *	  vapi-shim pool / assistants (being built).
 */
#include <stdio.h>

#include "config.h"
#include "provision.h"

/* Not built yet. */
int
provision_main(int argc, char **argv)
{
	fputs("vapi-shim: pool and assistants are not built yet\n", stderr);
	return SHIM_EXIT_USAGE;
}
