/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_init.c: safekeep init: a new database and a new key file (mode 0600).
 * A key-check value sealed under the key is stored in the database, so that
 * opening it later with the wrong key fails at once instead of writing
 * records nobody can read.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#include "sk_int.h"

#define KEY_CHECK "safekeep key check"

static void help(FILE *out)
{
    fprintf(out, "usage: safekeep init [--db PATH]\n\n"
                 "Creates the database PATH (default $SAFEKEEP_DB or ./safekeep.db) and its\n"
                 "key file PATH.key (or $SAFEKEEP_KEY_FILE) with mode 0600. With\n"
                 "$SAFEKEEP_KEY set, that key is used and no key file is written.\n"
                 "Refuses to overwrite an existing database or key file.\n");
}

static sk_err store_key_check(sk_store *store, sk_keyring *keyring, sk_diag *diag)
{
    unsigned char sealed[sizeof(KEY_CHECK) - 1 + SK_SEAL_OVERHEAD];
    sk_err rc;

    rc = sk_seal(keyring, SK_STR(KEY_CHECK), SK_STR("key_check"), sealed);
    if (rc == SK_OK)
        rc = sk_store_meta_put(store, "key_check", sealed, sizeof(sealed), diag);
    return rc;
}

sk_err sk_cli_key_verify(sk_store *store, sk_keyring *keyring, sk_diag *diag)
{
    unsigned char sealed[256], plain[256];
    size_t len = 0;
    sk_err rc;

    rc = sk_store_meta_get(store, "key_check", sealed, sizeof(sealed), &len, diag);
    if (rc == SK_OK)
        rc = sk_unseal(keyring, sealed, len, SK_STR("key_check"), plain);
    if (rc != SK_OK)
        return sk_diag_set(diag, SK_ERR_CRYPTO, "key", "the key does not open this database");
    return SK_OK;
}

static int create(const char *db)
{
    char key_buf[4096];
    const char *key_path = sk_cli_key_path(db, key_buf, sizeof(key_buf));
    sk_keyring *keyring = NULL;
    sk_store *store = NULL;
    int made_key = 0;
    sk_diag diag;
    sk_err rc = SK_OK;

    sk_diag_clear(&diag);
    umask(077); /* the database holds case data: owner only, like the key */
    if (access(db, F_OK) == 0) {
        fprintf(stderr, "safekeep init: %s already exists; not touching it\n", db);
        return SK_EXIT_FAIL;
    }
    if (getenv(SK_ENV_KEY) == NULL || getenv(SK_ENV_KEY)[0] == '\0') {
        rc = sk_keyring_create_file(key_path, &diag);
        made_key = rc == SK_OK;
    }
    if (rc == SK_OK)
        rc = sk_keyring_open(key_path, &keyring, &diag);
    if (rc == SK_OK)
        rc = sk_store_open(db, 1, &store, &diag);
    if (rc == SK_OK)
        rc = store_key_check(store, keyring, &diag);
    sk_store_close(store);
    sk_keyring_free(keyring);
    if (rc != SK_OK) {
        sk_cli_error("init", rc, &diag);
        if (made_key)
            unlink(key_path);
        if (store != NULL)
            unlink(db);
        return SK_EXIT_FAIL;
    }
    printf("created %s\n", db);
    if (made_key)
        printf("created %s (mode 0600): keep it secret, keep a backup; without it the identity "
               "data cannot be read\n",
               key_path);
    return SK_EXIT_OK;
}

int sk_cli_init(int argc, char **argv)
{
    const char *db = NULL;
    int code = sk_cli_parse_db_only(argc, argv, "init", help, &db);

    return code >= 0 ? code : create(db);
}
