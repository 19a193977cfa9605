/*
 * The server's configuration file, DATA/config.toml, in the layout of the
 * reference's (anchors.md §4.4) where the settings exist here, plus
 * Lightcone's own [database] section.  Written with every setting
 * commented out on first start; command-line flags and LIGHTCONE_*
 * environment variables override it.
 *
 * The parser reads the TOML subset such a file needs: [section] headers,
 * key = value with values "strings", integers, true/false, "15s"-style
 * durations in strings, and one-line ["arrays", "of strings"]; # comments.
 * Anything else is an error naming the line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "server.h"

static const char TEMPLATE[] =
    "# Lightcone server configuration.  Command-line flags and LIGHTCONE_* environment\n"
    "# variables override what is set here.  Uncomment a line to change a setting.\n"
    "\n"
    "[certificate-authority]\n"
    "# The ES256 key pair that signs and verifies identity tokens.\n"
    "# jwt-priv-key-path = \"/path/to/id_ecdsa\"\n"
    "# jwt-pub-key-path = \"/path/to/id_ecdsa.pub\"\n"
    "\n"
    "[logs]\n"
    "# level = \"info\"          # error, warn, info, debug or trace\n"
    "\n"
    "[websocket]\n"
    "# ping-interval = \"15s\"\n"
    "# idle-timeout = \"30s\"\n"
    "# incoming-queue-length = 16384\n"
    "\n"
    "[database]\n"
    "# Who may create databases: identities in hex.  Empty: anyone may, as with the\n"
    "# reference server.\n"
    "# create-allowed-identities = []\n"
    "# ...or holders of tokens from this issuer (the `iss` claim).\n"
    "# create-allowed-issuer = \"https://auth.example.com\"\n"
    "# Stop a reducer that runs longer than this (\"0s\": no limit).\n"
    "# reducer-timeout = \"0s\"\n"
    "# When the commit log is fsynced: every-batch (each group commit), never.\n"
    "# fsync = \"every-batch\"\n";

/* A duration "15s", "250ms", "2m" or a bare number of seconds, in ms. */
static int parse_duration(const char *s, uint32_t *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mult = strcmp(end, "ms") == 0               ? 1
                  : strcmp(end, "s") == 0 || *end == 0 ? 1000
                  : strcmp(end, "m") == 0              ? 60000
                                                       : -1;
    if (mult < 0 || v * mult > 86400000.0)
        return -1;
    *ms = (uint32_t)(v * mult);
    return 0;
}

/* A "quoted string" at p (no escapes but \" and \\) into out. */
static const char *parse_string(const char *p, char *out, size_t cap)
{
    if (*p != '"')
        return NULL;
    size_t n = 0;
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
        if (n + 1 >= cap)
            return NULL;
        out[n++] = *p;
    }
    if (*p != '"')
        return NULL;
    out[n] = 0;
    return p + 1;
}

static int add_creator(server_config_t *cfg, const char *hex, lc_err_t *err, int line)
{
    auth_identity_t id;
    if (hex[0] == '0' && hex[1] == 'x')
        hex += 2;
    if (strlen(hex) != AUTH_IDENTITY_HEX_LEN || auth_identity_from_hex(hex, strlen(hex), &id))
        return lc_err_set(err, LC_EINVAL, "config.toml line %d: `%s` is not an identity", line,
                          hex);
    if (cfg->ncreators == SERVER_MAX_CREATORS)
        return lc_err_set(err, LC_EINVAL, "config.toml line %d: more than %d identities", line,
                          SERVER_MAX_CREATORS);
    memcpy(cfg->creators[cfg->ncreators++], id.le, 32);
    return LC_OK;
}

/* Apply one key; flags and environment variables win (cfg->set_*). */
static int apply(server_config_t *cfg, const char *section, const char *key, const char *value,
                 int line, lc_err_t *err)
{
    char s[4096];
    uint32_t ms;
#define STR()                                                                                      \
    do {                                                                                           \
        const char *e_ = parse_string(value, s, sizeof s);                                         \
        if (!e_)                                                                                   \
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: %s expects a \"string\"",      \
                              line, key);                                                          \
    } while (0)
    if (strcmp(section, "certificate-authority") == 0 && strcmp(key, "jwt-priv-key-path") == 0) {
        STR();
        if (!cfg->jwt_priv_key_path[0])
            snprintf(cfg->jwt_priv_key_path, sizeof cfg->jwt_priv_key_path, "%s", s);
    } else if (strcmp(section, "certificate-authority") == 0 &&
               strcmp(key, "jwt-pub-key-path") == 0) {
        STR();
        if (!cfg->jwt_pub_key_path[0])
            snprintf(cfg->jwt_pub_key_path, sizeof cfg->jwt_pub_key_path, "%s", s);
    } else if (strcmp(section, "logs") == 0 && strcmp(key, "level") == 0) {
        STR();
        lc_log_level_t lvl;
        if (lc_log_level_parse(s, &lvl))
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: unknown log level `%s`", line,
                              s);
        if (!cfg->set_log_level)
            cfg->log_level = lvl;
    } else if (strcmp(section, "websocket") == 0 &&
               (strcmp(key, "ping-interval") == 0 || strcmp(key, "idle-timeout") == 0)) {
        STR();
        if (parse_duration(s, &ms))
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: `%s` is not a duration", line,
                              s);
        *(key[0] == 'p' ? &cfg->ws_ping_interval_ms : &cfg->ws_idle_timeout_ms) = ms;
    } else if (strcmp(section, "websocket") == 0 && strcmp(key, "incoming-queue-length") == 0) {
        char *end;
        unsigned long v = strtoul(value, &end, 10);
        if (*end || v == 0 || v > 1000000)
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: expected a count", line);
        cfg->ws_incoming_queue_length = (uint32_t)v;
    } else if (strcmp(section, "database") == 0 && strcmp(key, "reducer-timeout") == 0) {
        STR();
        if (parse_duration(s, &ms))
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: `%s` is not a duration", line,
                              s);
        if (!cfg->reducer_timeout_ms)
            cfg->reducer_timeout_ms = ms;
    } else if (strcmp(section, "database") == 0 && strcmp(key, "fsync") == 0) {
        STR();
        if (strcmp(s, "every-batch") == 0)
            cfg->fsync_never = false;
        else if (strcmp(s, "never") == 0)
            cfg->fsync_never = true;
        else
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: fsync is every-batch or never",
                              line);
    } else if (strcmp(section, "database") == 0 && strcmp(key, "create-allowed-issuer") == 0) {
        STR();
        if (snprintf(cfg->creator_issuer, sizeof cfg->creator_issuer, "%s", s) >=
            (int)sizeof cfg->creator_issuer)
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: the issuer is too long", line);
    } else if (strcmp(section, "database") == 0 && strcmp(key, "create-allowed-identities") == 0) {
        const char *p = value;
        if (*p++ != '[')
            return lc_err_set(err, LC_EINVAL, "config.toml line %d: expected [\"hex\", ...]", line);
        for (;;) {
            while (isspace((unsigned char)*p) || *p == ',') p++;
            if (*p == ']')
                break;
            if (!(p = parse_string(p, s, sizeof s)))
                return lc_err_set(err, LC_EINVAL, "config.toml line %d: expected \"hex\"", line);
            int rc = add_creator(cfg, s, err, line);
            if (rc)
                return rc;
        }
    } else {
        return lc_err_set(err, LC_EINVAL, "config.toml line %d: unknown setting [%s] %s", line,
                          section, key);
    }
    return LC_OK;
#undef STR
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

/* Cut a # comment that is not inside a string. */
static void cut_comment(char *s)
{
    bool in_str = false;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '"' && (i == 0 || s[i - 1] != '\\'))
            in_str = !in_str;
        else if (s[i] == '#' && !in_str) {
            s[i] = 0;
            return;
        }
    }
}

int server_config_load_file(server_config_t *cfg, const char *path, lc_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT)
            return lc_err_set(err, LC_EIO, "cannot read %s: %s", path, strerror(errno));
        f = fopen(path, "w"); /* first start: the commented template */
        if (f) {
            fputs(TEMPLATE, f);
            fclose(f);
        }
        return LC_OK;
    }
    char line[8192], section[64] = "";
    int n = 0, rc = LC_OK;
    while (rc == LC_OK && fgets(line, sizeof line, f)) {
        n++;
        cut_comment(line);
        char *s = trim(line);
        if (!*s)
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1] || end - s - 1 >= (long)sizeof section)
                rc = lc_err_set(err, LC_EINVAL, "config.toml line %d: bad section header", n);
            else
                snprintf(section, sizeof section, "%.*s", (int)(end - s - 1), s + 1);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = lc_err_set(err, LC_EINVAL, "config.toml line %d: expected key = value", n);
            continue;
        }
        *eq = 0;
        rc = apply(cfg, section, trim(s), trim(eq + 1), n, err);
    }
    fclose(f);
    return rc;
}
