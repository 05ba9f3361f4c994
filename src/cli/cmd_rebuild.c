/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_rebuild.c: safekeep rebuild: throw every projection away and recompute
 * it from the ledger. It prints the projection digest before and after, so
 * an operator can see that the ledger alone reproduces the state.
 */

#include "cli.h"
#include "safekeep/sk_ingest.h"

#include "sk_int.h"

static void help(FILE *out)
{
    fprintf(out, "usage: safekeep rebuild [--db PATH]\n\n"
                 "Recomputes children, persons, blind indexes, placements, hearings, calls\n"
                 "and sponsors from the ledger in one transaction, and prints the digest of\n"
                 "the projections before and after (equal when nothing had drifted).\n");
}

static int run(const char *db)
{
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    uint64_t before = 0, after = 0;
    sk_diag diag;
    int code;
    sk_err rc;

    sk_diag_clear(&diag);
    code = sk_cli_open(db, &store, &keyring);
    if (code != SK_EXIT_OK)
        return code;
    rc = sk_store_projection_digest(store, &before, &diag);
    if (rc == SK_OK)
        rc = sk_rebuild(store, keyring, &diag);
    if (rc == SK_OK)
        rc = sk_store_projection_digest(store, &after, &diag);
    if (rc != SK_OK) {
        sk_cli_error("rebuild", rc, &diag);
        code = SK_EXIT_FAIL;
    } else {
        printf("projection digest before %016llx after %016llx%s\n", (unsigned long long)before,
               (unsigned long long)after, before == after ? " (unchanged)" : " (changed)");
    }
    sk_cli_close(store, keyring);
    return code;
}

int sk_cli_rebuild(int argc, char **argv)
{
    const char *db = NULL;
    int code = sk_cli_parse_db_only(argc, argv, "rebuild", help, &db);

    return code >= 0 ? code : run(db);
}
