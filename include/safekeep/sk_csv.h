/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sk_csv.h: a streaming reader for RFC 4180 CSV as spreadsheets export it.
 *
 * The reader hands out one record at a time as borrowed slices into its own
 * buffer, so memory stays bounded by the buffer size and record_bytes_max
 * however large the file is. Tolerated quirks: a UTF-8 byte-order mark at
 * the start, CRLF, LF or lone CR line ends, spaces and tabs around values,
 * blank lines, a last record without a line end, and a quote inside an
 * unquoted value (kept as a literal character, as Excel does). Everything
 * else that is not well-formed UTF-8 CSV is an error naming the line and the
 * column, never the value: the values are personal data.
 */
#ifndef SK_CSV_H
#define SK_CSV_H

#include <stdint.h>

#include "safekeep/sk_core.h"

/* The most fields one record may have; more is SK_ERR_TOO_LARGE. */
#define SK_CSV_FIELDS_MAX 128

/* The read buffer of sk_csv_open_fd and sk_csv_open_mem. A large buffer
 * keeps read(2) calls and record moves rare. */
#define SK_CSV_BUF_BYTES ((size_t)1 << 20)

/* The largest record_bytes_max the openers accept. */
#define SK_CSV_RECORD_BYTES_LIMIT ((size_t)64 << 20)

/* A reader over one input. Opaque. */
typedef struct sk_csv sk_csv;

/*
 * Opens a reader over the file descriptor fd, which stays owned by the caller
 * and must stay open until sk_csv_close; the reader never closes it. Reading
 * starts at the descriptor's current offset and uses read(2) into a buffer of
 * SK_CSV_BUF_BYTES (or record_bytes_max + 2 if that is larger). A refill
 * reads until the buffer is full or the input ends, so a slow pipe delays
 * records rather than fragmenting them.
 *
 * record_bytes_max bounds the raw bytes of one record: quotes, doubled
 * quotes and embedded line ends count, the line end that closes it does not.
 *
 * On success *out owns a new reader; free it with sk_csv_close. Returns
 * SK_ERR_INVALID when fd is negative or record_bytes_max is 0 or above
 * SK_CSV_RECORD_BYTES_LIMIT, SK_ERR_NOMEM when allocation fails; *out is then
 * NULL. Nothing is read before the first sk_csv_next. Thread-safe (no shared
 * state).
 */
SK_NODISCARD sk_err sk_csv_open_fd(int fd, size_t record_bytes_max, sk_csv **out);

/*
 * Opens a reader over the bytes of data, which are borrowed: they must stay
 * unchanged until sk_csv_close. They are never written; the reader copies
 * them through its own buffer (at most SK_CSV_BUF_BYTES, or record_bytes_max
 * + 2 if larger, and never much more than data.len), because unescaping
 * quoted fields rewrites bytes in place. data.ptr may be NULL when data.len
 * is 0. Same ownership, limits and errors as sk_csv_open_fd.
 */
SK_NODISCARD sk_err sk_csv_open_mem(sk_str data, size_t record_bytes_max, sk_csv **out);

/*
 * sk_csv_open_fd with an explicit buffer size. The buffer is
 * max(buf_bytes, record_bytes_max + 2) bytes, so any buf_bytes is accepted;
 * a small one makes records cross refills, which tests and the fuzzer use.
 * Same ownership and errors as sk_csv_open_fd.
 */
SK_NODISCARD sk_err sk_csv_open_fd_sized(int fd, size_t buf_bytes, size_t record_bytes_max,
                                         sk_csv **out);

/*
 * sk_csv_open_mem with an explicit buffer size, as for sk_csv_open_fd_sized.
 * Same ownership and errors as sk_csv_open_mem.
 */
SK_NODISCARD sk_err sk_csv_open_mem_sized(sk_str data, size_t buf_bytes, size_t record_bytes_max,
                                          sk_csv **out);

/*
 * Wipes the reader's buffer (it held personal data) and frees the reader.
 * NULL is accepted. Leaves the file descriptor open.
 */
void sk_csv_close(sk_csv *csv);

/*
 * Reads the next record.
 *
 * On SK_OK, *fields points at an array of *field_count (1 to
 * SK_CSV_FIELDS_MAX) slices owned by the reader: they and the bytes they
 * point into are valid until the next sk_csv_next or sk_csv_close, so copy
 * what must live longer. A field's bytes are contiguous and unescaped: the
 * surrounding quotes are gone and "" became ". They are not NUL-terminated
 * and never contain NUL. An empty field has len 0 and a non-NULL ptr.
 *
 * Parsing rules:
 *  - a UTF-8 byte-order mark at the very start of the input is skipped;
 *  - CRLF, LF and a lone CR each end a record and a physical line;
 *  - lines of zero length are skipped (a line holding only spaces is a
 *    record of one empty field);
 *  - unquoted fields lose leading and trailing spaces and tabs; a quote in
 *    the middle of one is an ordinary character (Excel writes such values
 *    and reads them back the same way, so refusing them would refuse
 *    legitimate exports);
 *  - a quoted field keeps every byte between its quotes, including commas,
 *    line ends (CRLF stays CRLF) and leading or trailing spaces; spaces and
 *    tabs between the quotes and the neighbouring commas are ignored;
 *  - the last record needs no line end.
 *
 * Errors (*fields is then NULL and *field_count 0):
 *  - SK_ERR_NOT_FOUND at the end of the input; repeated calls keep
 *    returning it;
 *  - SK_ERR_INVALID for a NUL byte, malformed UTF-8 (overlong forms,
 *    surrogates and code points above U+10FFFF included), a character other
 *    than a comma or line end after a closing quote, or a quoted field still
 *    open at the end of the input;
 *  - SK_ERR_TOO_LARGE when a record has more than record_bytes_max raw bytes
 *    or more than SK_CSV_FIELDS_MAX fields;
 *  - SK_ERR_IO when read(2) fails (EINTR is retried).
 * On an error, diag (may be NULL) gets the physical line of the offending
 * byte in diag->line (for an unterminated field, the line of its opening
 * quote; for a too-large record, the line where the record starts, and no
 * column), "column N" (1-based) in diag->field, and what was expected in
 * diag->msg; diag->where is left alone for the caller's file name. No message
 * quotes input bytes. Errors other than SK_ERR_NOT_FOUND are final: later
 * calls return the same code.
 *
 * Not thread-safe: one thread at a time per reader.
 */
SK_NODISCARD sk_err sk_csv_next(sk_csv *csv, const sk_str **fields, size_t *field_count,
                                sk_diag *diag);

/* The 1-based physical line on which the record last returned by sk_csv_next
 * started (so a record with embedded line ends is reported where it starts);
 * 0 before the first record. Not thread-safe against sk_csv_next. */
uint64_t sk_csv_line(const sk_csv *csv);

/* Input bytes consumed so far: the byte-order mark and every record returned,
 * with its line end, and the blank lines before it. For progress reports; the
 * total after SK_ERR_NOT_FOUND is the input size. Not thread-safe against
 * sk_csv_next. */
uint64_t sk_csv_bytes_read(const sk_csv *csv);

#endif /* SK_CSV_H */
