/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse_int.h: what the policy parser's files share. parse.c splits the text
 * into lines, collects each block's properties and converts single values;
 * parse_block.c turns a complete block into the document. Nothing here is
 * part of libsafekeep's interface; the functions and tables declared here
 * carry the sk_pp_ prefix, since they are external symbols of the library.
 */
#ifndef SK_POLICY_PARSE_INT_H
#define SK_POLICY_PARSE_INT_H

#include "safekeep/sk_policy.h"

#define POLICY_BYTES_MAX ((size_t)1 << 20) /* one file */
#define VALUE_BYTES_MAX  4096              /* one property, continuations joined */
#define NUMBER_MAX       1000000u          /* version and retention_days */
#define QUOTE_BYTES_MAX  32                /* offending tokens quoted in messages */
#define KEY_QUOTE_MAX    20                /* unknown keys named in diag->field */

typedef enum block_kind {
    BLOCK_NONE = 0,
    BLOCK_AGENCY,
    BLOCK_ROLE,
    BLOCK_AGREEMENT,
    BLOCK_CONSTRAINT,
    BLOCK__COUNT
} block_kind;

/* Every key of every block kind; a block's values are indexed by these. */
typedef enum key {
    KEY_KIND = 0,
    KEY_NAME,
    KEY_AGENCY,
    KEY_KINDS,
    KEY_VERSION,
    KEY_TITLE,
    KEY_CITATION,
    KEY_PROVIDER,
    KEY_RECIPIENTS,
    KEY_ACTIONS,
    KEY_PURPOSES,
    KEY_ENTITIES,
    KEY_FIELDS,
    KEY_WHEN,
    KEY_UNLESS,
    KEY_OBLIGATIONS,
    KEY_RETENTION_DAYS,
    KEY_EFFECTIVE,
    KEY_EXPIRES,
    KEY_REASON,
    KEY__COUNT
} key_index;

/* A vocabulary as list items name it; skip masks entries files may not use. */
typedef struct vocab {
    const char *const *names;
    const char *noun;
    uint64_t skip;
} vocab;

/* The vocabularies that list items name (defined in parse.c). */
extern const vocab sk_pp_vocab_purpose;
extern const vocab sk_pp_vocab_action;
extern const vocab sk_pp_vocab_entity;
extern const vocab sk_pp_vocab_field;
extern const vocab sk_pp_vocab_kind;
/* "review" is skipped: it is set by break-glass decisions, never by a file. */
extern const vocab sk_pp_vocab_obligation;

typedef struct value {
    unsigned line; /* where the key appeared; 0 when absent */
    size_t len;    /* joined length, counted past what fits so it can be reported */
    char text[VALUE_BYTES_MAX];
} value;

typedef struct parser {
    const char *name;
    sk_diag *diag;
    sk_policy_doc doc;
    size_t agency_cap;
    size_t role_cap;
    size_t rule_cap;
    block_kind kind; /* the open block; BLOCK_NONE before the first header */
    sk_str id;       /* its id, inside the text */
    unsigned header_line;
    int last_key;  /* the key a continuation line extends; -1 for none */
    value *values; /* KEY__COUNT of them, on the heap */
} parser;

/* Iterates over comma-separated items, trimmed. */
typedef struct list_iter {
    sk_str rest;
    int done;
} list_iter;

/* ---- Text helpers (parse.c) ---- */

/* s without leading and trailing blanks (space, tab). */
sk_str sk_pp_trim(sk_str s);

/* Whether s is an id: [A-Za-z0-9._-]{1,63}. */
int sk_pp_valid_id(sk_str s);

/* Copies s with a NUL into dst; s.len must be below cap. */
void sk_pp_copy_str(char *dst, size_t cap, sk_str s);

/* Bytes of s to quote in a message (at most QUOTE_BYTES_MAX, never half a
 * UTF-8 character), and "..." when that is not all of s. */
int sk_pp_quote_len(sk_str s);
const char *sk_pp_quote_more(sk_str s);

/* Arguments for "%.*s%s": s quoted, shortened when long. */
#define QUOTE(s) sk_pp_quote_len(s), (s).ptr, sk_pp_quote_more(s)

/* A mask of the count lowest bits (count at most 64). */
uint64_t sk_pp_all_bits(size_t count);

/* ---- Diagnostics (parse.c) ---- */

/* Fills p->diag for an error in the open block, at key when key is not
 * empty (fail_key) or at key k's line (fail_value, SK_ERR_INVALID). Both
 * return the error code. */
SK_NODISCARD sk_err sk_pp_fail_key(parser *p, sk_err rc, unsigned line, sk_str key, const char *fmt,
                                   ...) __attribute__((format(printf, 5, 6)));
SK_NODISCARD sk_err sk_pp_fail_value(parser *p, int k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The name of key k, as the file spells it. */
sk_str sk_pp_key_name(int k);

/* "unknown <noun>" for item of key k, listing the vocabulary v. */
SK_NODISCARD sk_err sk_pp_unknown_item(parser *p, int k, const vocab *v, sk_str item);

/* ---- Values (parse.c) ---- */

/* The collected value of key k, which must be present and not overlong. */
sk_str sk_pp_value_str(const parser *p, int k);

/* The key of the open block with the smallest line after `after`, or -1. */
int sk_pp_next_key(const parser *p, unsigned after);

/* Required keys, then empty and overlong values, in the order of lines. */
SK_NODISCARD sk_err sk_pp_check_values(parser *p);

/* The next comma-separated item, trimmed; 0 when the list is done. */
int sk_pp_list_next(list_iter *it, sk_str *item);

/* Rejects an empty item and, where star_ok, "*" among other items. */
SK_NODISCARD sk_err sk_pp_check_item(parser *p, int k, sk_str item, int star_ok);

/* Key k as a list over the vocabulary v; "*" alone gives star (or every
 * one of count names, for parse_mask32). */
SK_NODISCARD sk_err sk_pp_parse_mask(parser *p, int k, const vocab *v, uint64_t star,
                                     uint64_t *out);
SK_NODISCARD sk_err sk_pp_parse_mask32(parser *p, int k, const vocab *v, size_t count,
                                       uint32_t *out);

/* Key k as conditions: into *set, and "not X" into *clear (NULL where
 * "not" is not allowed). */
SK_NODISCARD sk_err sk_pp_parse_conditions(parser *p, int k, uint32_t *set, uint32_t *clear);

/* Key k as a whole number from 1 to NUMBER_MAX, a date, or an agency
 * reference (an id or "*"). */
SK_NODISCARD sk_err sk_pp_parse_number_key(parser *p, int k, unsigned *out);
SK_NODISCARD sk_err sk_pp_parse_date_key(parser *p, int k, int64_t *out);
SK_NODISCARD sk_err sk_pp_parse_agency_ref(parser *p, int k, char out[SK_POLICY_ID_MAX]);

/* ---- Blocks (parse_block.c) ---- */

/* Converts the open block, if any, into p->doc and closes it. */
SK_NODISCARD sk_err sk_pp_finish_block(parser *p);

#endif /* SK_POLICY_PARSE_INT_H */
