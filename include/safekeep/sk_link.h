/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_link.h: normalisation of identifiers before they are compared or
 * indexed. The same child is written "José Luis García-López" by one agency
 * and "JOSE LUIS GARCIA LOPEZ" by another; both normalise to the same key.
 */
#ifndef SK_LINK_H
#define SK_LINK_H

#include "safekeep/sk_core.h"

#define SK_NAME_NORM_MAX 256
#define SK_ANUM_LEN      9

/*
 * Normalises a name: Latin letters with diacritics lose them (á->a, ñ->n,
 * ü->u, ç->c), ASCII is lower-cased, apostrophes and dots are dropped,
 * hyphens, commas and runs of white space become one space, and leading or
 * trailing spaces go. Other UTF-8 is kept byte for byte. Writes at most
 * out_cap-1 bytes plus NUL; SK_ERR_TOO_LARGE when it does not fit,
 * SK_ERR_INVALID when nothing is left.
 */
SK_NODISCARD sk_err sk_normalize_name(sk_str in, char *out, size_t out_cap, size_t *out_len);

/* Normalises an A-number ("A-012-345-678", "12345678") to 9 digits with
 * leading zeros. SK_ERR_INVALID unless it has 8 or 9 digits. */
SK_NODISCARD sk_err sk_normalize_anumber(sk_str in, char out[SK_ANUM_LEN + 1]);

/* The blind-index key of a person's name and birth date:
 * "<given> <family>|YYYY-MM-DD", each name normalised. SK_ERR_INVALID when a
 * name normalises to nothing or dob is not YYYY-MM-DD. */
SK_NODISCARD sk_err sk_name_dob_key(sk_str given, sk_str family, sk_str dob, char *out,
                                    size_t out_cap);

#endif /* SK_LINK_H */
