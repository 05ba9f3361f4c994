/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_int.h: included last by every .c file of the library. It bans the libc
 * calls that have caused most C memory-safety bugs, so they cannot creep back.
 */
#ifndef SK_INT_H
#define SK_INT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC poison strcpy strcat sprintf vsprintf gets atoi atol strtok

#endif /* SK_INT_H */
