/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id.c: id syntax and UUID formatting (RFC 9562). Randomness and hashing come
 * from the caller, so that this file needs no crypto library and the
 * generator can make reproducible ids from its own seeded stream.
 */
#include "safekeep/sk_id.h"

#include "sk_int.h"

int sk_id_valid(sk_str s, size_t max_len)
{
    size_t i;

    if (s.len == 0 || s.len > max_len)
        return 0;
    for (i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

void sk_uuid_format(const unsigned char bytes[16], unsigned version, char out[SK_UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    size_t i, o = 0;

    SK_ASSERT(version == 7 || version == 8 || version == 4);
    memcpy(b, bytes, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0F) | (version << 4));
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    SK_ASSERT(o == SK_UUID_LEN);
    out[o] = '\0';
}

void sk_uuid7(int64_t unix_ms, const unsigned char rand[10], char out[SK_UUID_LEN + 1])
{
    unsigned char b[16];
    uint64_t ms = (uint64_t)unix_ms;
    int i;

    for (i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    memcpy(b + 6, rand, 10);
    sk_uuid_format(b, 7, out);
}
