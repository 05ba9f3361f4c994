/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_id.h: identifiers. Event ids are UUIDs (version 7 when safekeep makes
 * them from a clock, version 8 when derived from a hash so that re-importing
 * the same spreadsheet row gives the same id); subject and other ids follow
 * one syntax so that they are safe in URLs, CSV and log lines.
 */
#ifndef SK_ID_H
#define SK_ID_H

#include <stdint.h>

#include "safekeep/sk_core.h"

#define SK_UUID_LEN 36

/* 1 when s is 1..max_len characters of [A-Za-z0-9._:-]. */
int sk_id_valid(sk_str s, size_t max_len);

/* Formats 16 bytes as a UUID string, forcing the given version (7 or 8) and
 * the RFC 9562 variant bits. out holds SK_UUID_LEN + 1 bytes. */
void sk_uuid_format(const unsigned char bytes[16], unsigned version, char out[SK_UUID_LEN + 1]);

/* UUIDv7: 48-bit Unix milliseconds then 74 bits of the caller's randomness. */
void sk_uuid7(int64_t unix_ms, const unsigned char rand[10], char out[SK_UUID_LEN + 1]);

#endif /* SK_ID_H */
