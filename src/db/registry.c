/*
 * The database registry: every database the server hosts, found by
 * identity or by name, with its owner.
 *
 * On disk (under the server's data directory DATA):
 *   DATA/databases/<identity hex>/            one database (db.h's directory)
 *   DATA/databases/<identity hex>/database.json
 *       {"identity":"<hex>","owner":"<hex>","names":["chat"]}
 *       written under a temporary name, fsynced and renamed
 * At open every directory holding a database.json is opened (recovered,
 * its module loaded).  An in-memory registry keeps nothing.
 *
 * Invariants:
 *   1. by_name and by_identity hold exactly the live entries, each with
 *      one reference of the registry's own.
 *   2. An entry's database is closed when its last reference goes, so a
 *      request that found the entry may finish after a delete.
 *   3. mu guards the maps and every entry's refcount and names.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "db/db_int.h"

struct db_registry {
    db_registry_config_t cfg;
    char *data_dir;
    pthread_mutex_t mu;
    lc_map_t by_name;     /* name -> entry */
    lc_map_t by_identity; /* 32 LE bytes -> entry */
};

typedef struct entry_int {
    db_entry_t pub;
    db_registry_t *reg;
    int refs;
    bool deleted;
} entry_int_t;

/* ---------------------------------------------------------------- names */

bool db_name_valid(const char *s)
{
    /* ^[a-z0-9]+(-[a-z0-9]+)*$ (protocol.md §1.1), and not an identity. */
    size_t n = strlen(s);
    if (n == 0 || n > DB_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || (c == '-' && s[i + 1] == '-'))
            return false;
    }
    auth_identity_t id;
    return auth_identity_from_hex(s, n, &id) != LC_OK;
}

/* Parse a 64-hex identity, with or without 0x. */
static bool parse_identity(const char *s, auth_identity_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    return strlen(s) == AUTH_IDENTITY_HEX_LEN &&
           auth_identity_from_hex(s, AUTH_IDENTITY_HEX_LEN, out) == LC_OK;
}

/* ---------------------------------------------------------------- entries */

static void entry_close(entry_int_t *e)
{
    if (e->reg->cfg.on_entry_free)
        e->reg->cfg.on_entry_free(e->reg->cfg.hook_arg, &e->pub);
    db_close(e->pub.db);
    lc_free(e);
}

void db_entry_retain(db_entry_t *pub)
{
    entry_int_t *e = (entry_int_t *)pub;
    pthread_mutex_lock(&e->reg->mu);
    e->refs++;
    pthread_mutex_unlock(&e->reg->mu);
}

void db_entry_release(db_entry_t *pub)
{
    if (!pub)
        return;
    entry_int_t *e = (entry_int_t *)pub;
    pthread_mutex_lock(&e->reg->mu);
    bool last = --e->refs == 0;
    pthread_mutex_unlock(&e->reg->mu);
    if (last)
        entry_close(e);
}

static void db_commit_hook(void *arg, const store_changeset_t *cs, const mod_caller_t *caller)
{
    entry_int_t *e = arg;
    if (e->reg->cfg.on_commit)
        e->reg->cfg.on_commit(e->reg->cfg.hook_arg, &e->pub, cs, caller);
}

static void db_durable_hook(void *arg, uint64_t offset)
{
    entry_int_t *e = arg;
    if (e->reg->cfg.on_durable)
        e->reg->cfg.on_durable(e->reg->cfg.hook_arg, &e->pub, offset);
}

static void entry_dir(const db_registry_t *r, const entry_int_t *e, char *out, size_t cap)
{
    snprintf(out, cap, "%s/databases/%s", r->data_dir, e->pub.identity_hex);
}

/* Open the database of a new entry (directory or memory). */
static int entry_open_db(db_registry_t *r, entry_int_t *e, lc_err_t *err)
{
    char dir[4096];
    db_config_t c = {
        .engine = r->cfg.engine,
        .fsync = r->cfg.fsync,
        .fsync_interval_ms = r->cfg.fsync_interval_ms,
        .limits = r->cfg.limits,
        .on_commit = db_commit_hook,
        .on_durable = db_durable_hook,
        .hook_arg = e,
    };
    memcpy(c.identity, e->pub.identity, 32);
    if (r->data_dir) {
        entry_dir(r, e, dir, sizeof dir);
        c.dir = dir;
    }
    return db_open(&c, &e->pub.db, err);
}

/* Write database.json for e (atomically). */
static int save_meta(db_registry_t *r, entry_int_t *e, lc_err_t *err)
{
    if (!r->data_dir)
        return LC_OK;
    char dir[4096], path[4200], tmp[4200], owner[AUTH_IDENTITY_HEX_LEN + 1];
    entry_dir(r, e, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/database.json", dir);
    snprintf(tmp, sizeof tmp, "%s/database.json.tmp", dir);
    auth_identity_t o;
    memcpy(o.le, e->pub.owner, 32);
    auth_identity_to_hex(&o, owner);
    json_t *names = json_array();
    if (e->pub.name[0])
        json_array_append_new(names, json_string(e->pub.name));
    json_t *j = json_pack("{s:s, s:s, s:o}", "identity", e->pub.identity_hex, "owner", owner,
                          "names", names);
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!text)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    int rc = LC_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0 || rename(tmp, path))
        rc = lc_err_set(err, LC_EIO, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(text);
    return rc;
}

static int index_entry(db_registry_t *r, entry_int_t *e)
{
    if (lc_map_put(&r->by_identity, e->pub.identity, 32, e, NULL))
        return LC_ENOMEM;
    if (e->pub.name[0] && lc_map_puts(&r->by_name, e->pub.name, e)) {
        lc_map_del(&r->by_identity, e->pub.identity, 32);
        return LC_ENOMEM;
    }
    return LC_OK;
}

static entry_int_t *entry_new(db_registry_t *r, const auth_identity_t *id, const uint8_t owner[32],
                              const char *name)
{
    entry_int_t *e = lc_calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->reg = r;
    e->refs = 1; /* the registry's (invariant 1) */
    memcpy(e->pub.identity, id->le, 32);
    auth_identity_to_hex(id, e->pub.identity_hex);
    memcpy(e->pub.owner, owner, 32);
    snprintf(e->pub.name, sizeof e->pub.name, "%s", name ? name : "");
    return e;
}

/* ---------------------------------------------------------------- open */

static int load_one(db_registry_t *r, const char *hex, lc_err_t *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/databases/%s/database.json", r->data_dir, hex);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j)
        return errno == ENOENT ? LC_OK : lc_err_set(err, LC_ECORRUPT, "%s: %s", path, jerr.text);
    const char *ih = json_string_value(json_object_get(j, "identity"));
    const char *oh = json_string_value(json_object_get(j, "owner"));
    json_t *names = json_object_get(j, "names");
    const char *name = json_string_value(json_array_get(names, 0));
    auth_identity_t id, owner;
    int rc = LC_OK;
    if (!ih || !oh || !parse_identity(ih, &id) || !parse_identity(oh, &owner) ||
        strcmp(ih, hex) != 0 || (name && !db_name_valid(name)))
        rc = lc_err_set(err, LC_ECORRUPT, "%s: not a database description", path);
    entry_int_t *e = rc ? NULL : entry_new(r, &id, owner.le, name);
    json_decref(j);
    if (rc)
        return rc;
    if (!e)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    if ((rc = entry_open_db(r, e, err)) || (rc = index_entry(r, e))) {
        if (e->pub.db)
            db_close(e->pub.db);
        lc_free(e);
        return lc_err_prefix(err, "database %s: ", hex);
    }
    lc_log(LC_LOG_INFO, "database %s%s%s opened", name ? name : "", name ? " " : "", hex);
    return LC_OK;
}

int db_registry_open(const db_registry_config_t *cfg, db_registry_t **out, lc_err_t *err)
{
    db_registry_t *r = lc_calloc(1, sizeof *r);
    if (!r)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    r->cfg = *cfg;
    pthread_mutex_init(&r->mu, NULL);
    lc_map_init(&r->by_name);
    lc_map_init(&r->by_identity);
    int rc = LC_OK;
    if (cfg->data_dir) {
        size_t n = strlen(cfg->data_dir) + 1;
        r->data_dir = lc_malloc(n);
        if (!r->data_dir) {
            db_registry_close(r);
            return lc_err_set(err, LC_ENOMEM, "out of memory");
        }
        memcpy(r->data_dir, cfg->data_dir, n);
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/databases", r->data_dir);
        if (mkdir(dir, 0700) && errno != EEXIST)
            rc = lc_err_set(err, LC_EIO, "cannot create %s: %s", dir, strerror(errno));
        DIR *d = rc ? NULL : opendir(dir);
        for (struct dirent *de; d && rc == LC_OK && (de = readdir(d));)
            if (strlen(de->d_name) == AUTH_IDENTITY_HEX_LEN)
                rc = load_one(r, de->d_name, err);
        if (d)
            closedir(d);
    }
    if (rc) {
        db_registry_close(r);
        return rc;
    }
    *out = r;
    return LC_OK;
}

void db_registry_close(db_registry_t *r)
{
    if (!r)
        return;
    size_t pos = 0;
    const void *k;
    size_t kl;
    void *v;
    while (lc_map_next(&r->by_identity, &pos, &k, &kl, &v)) db_entry_release(v);
    lc_map_free(&r->by_name);
    lc_map_free(&r->by_identity);
    pthread_mutex_destroy(&r->mu);
    lc_free(r->data_dir);
    lc_free(r);
}

/* ---------------------------------------------------------------- lookups */

int db_registry_find(db_registry_t *r, const char *name_or_identity, db_entry_t **out,
                     lc_err_t *err)
{
    auth_identity_t id;
    bool is_id = parse_identity(name_or_identity, &id);
    if (!is_id && !db_name_valid(name_or_identity))
        return lc_err_set(err, LC_EINVAL, "`%s` is not a valid database name or identity",
                          name_or_identity);
    pthread_mutex_lock(&r->mu);
    entry_int_t *e =
        is_id ? lc_map_get(&r->by_identity, id.le, 32) : lc_map_gets(&r->by_name, name_or_identity);
    if (e)
        e->refs++;
    pthread_mutex_unlock(&r->mu);
    if (!e)
        return is_id ? lc_err_set(err, LC_ENOTFOUND, "No such database.")
                     : lc_err_set(err, LC_ENOTFOUND, "`%s` not found", name_or_identity);
    *out = &e->pub;
    return LC_OK;
}

int db_registry_create(db_registry_t *r, const char *name, const uint8_t owner[32],
                       db_entry_t **out, lc_err_t *err)
{
    if (name && !db_name_valid(name))
        return lc_err_set(err, LC_EINVAL,
                          "`%s` is not a valid database name: use lowercase letters, digits and "
                          "single dashes",
                          name);
    uint8_t rnd[16];
    char subject[33];
    lc_random_bytes(rnd, sizeof rnd);
    lc_hex_encode(subject, rnd, sizeof rnd);
    auth_identity_t id;
    auth_identity_from_claims("lightcone-database", subject, &id);
    entry_int_t *e = entry_new(r, &id, owner, name);
    if (!e)
        return lc_err_set(err, LC_ENOMEM, "out of memory");
    int rc = LC_OK;
    if (r->data_dir) {
        char dir[4096];
        entry_dir(r, e, dir, sizeof dir);
        if (mkdir(dir, 0700))
            rc = lc_err_set(err, LC_EIO, "cannot create %s: %s", dir, strerror(errno));
    }
    if (rc == LC_OK)
        rc = entry_open_db(r, e, err);
    if (rc == LC_OK)
        rc = save_meta(r, e, err);
    pthread_mutex_lock(&r->mu);
    if (rc == LC_OK && name && lc_map_gets(&r->by_name, name))
        rc = lc_err_set(err, LC_EEXIST, "the name `%s` is taken", name);
    if (rc == LC_OK && index_entry(r, e))
        rc = lc_err_set(err, LC_ENOMEM, "out of memory");
    if (rc == LC_OK)
        e->refs++; /* the caller's */
    pthread_mutex_unlock(&r->mu);
    if (rc) {
        if (e->pub.db)
            db_close(e->pub.db);
        lc_free(e);
        return rc;
    }
    *out = &e->pub;
    return LC_OK;
}

int db_registry_delete(db_registry_t *r, db_entry_t *pub, lc_err_t *err)
{
    entry_int_t *e = (entry_int_t *)pub;
    pthread_mutex_lock(&r->mu);
    bool live = !e->deleted && lc_map_get(&r->by_identity, e->pub.identity, 32) == e;
    if (live) {
        e->deleted = true;
        lc_map_del(&r->by_identity, e->pub.identity, 32);
        if (e->pub.name[0])
            lc_map_del(&r->by_name, e->pub.name, strlen(e->pub.name));
    }
    pthread_mutex_unlock(&r->mu);
    if (!live)
        return LC_OK;
    if (r->data_dir) {
        /* The files go once the database is closed; renaming the
         * description away keeps a restart from opening it meanwhile. */
        char dir[4096], path[4200], gone[4200];
        entry_dir(r, e, dir, sizeof dir);
        snprintf(path, sizeof path, "%s/database.json", dir);
        snprintf(gone, sizeof gone, "%s/database.json.deleted", dir);
        if (rename(path, gone))
            lc_err_set(err, LC_EIO, "cannot remove %s: %s", path, strerror(errno));
    }
    db_entry_release(pub); /* the registry's reference (invariant 1) */
    return LC_OK;
}

int db_registry_rename(db_registry_t *r, db_entry_t *pub, const char *name, lc_err_t *err)
{
    entry_int_t *e = (entry_int_t *)pub;
    if (!db_name_valid(name))
        return lc_err_set(err, LC_EINVAL, "`%s` is not a valid database name", name);
    pthread_mutex_lock(&r->mu);
    entry_int_t *other = lc_map_gets(&r->by_name, name);
    int rc = LC_OK;
    if (other && other != e)
        rc = lc_err_set(err, LC_EEXIST, "the name `%s` is taken", name);
    else if (!other) {
        char old[sizeof e->pub.name];
        memcpy(old, e->pub.name, sizeof old);
        if (lc_map_puts(&r->by_name, name, e))
            rc = lc_err_set(err, LC_ENOMEM, "out of memory");
        else {
            if (old[0])
                lc_map_del(&r->by_name, old, strlen(old));
            snprintf(e->pub.name, sizeof e->pub.name, "%s", name);
        }
    }
    pthread_mutex_unlock(&r->mu);
    return rc ? rc : save_meta(r, e, err);
}

size_t db_registry_owned_by(db_registry_t *r, const uint8_t owner[32], char (*hex)[65], size_t cap)
{
    size_t n = 0, pos = 0;
    const void *k;
    size_t kl;
    void *v;
    pthread_mutex_lock(&r->mu);
    while (lc_map_next(&r->by_identity, &pos, &k, &kl, &v)) {
        entry_int_t *e = v;
        if (memcmp(e->pub.owner, owner, 32) == 0) {
            if (n < cap)
                memcpy(hex[n], e->pub.identity_hex, 65);
            n++;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

void db_registry_each(db_registry_t *r, void (*fn)(void *arg, db_entry_t *e), void *arg)
{
    size_t pos = 0;
    const void *k;
    size_t kl;
    void *v;
    pthread_mutex_lock(&r->mu);
    while (lc_map_next(&r->by_identity, &pos, &k, &kl, &v)) fn(arg, v);
    pthread_mutex_unlock(&r->mu);
}
