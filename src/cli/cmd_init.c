/*
 * cmd_init.c — `lightcone init [--lang c] [--client typescript] DIR`: a new project from a
 * template.
 *
 * Templates are plain directories (templates/c-module, templates/ts-client in a checkout); every
 * file is copied with "{{name}}" replaced by the project's name (DIR's last component, made a
 * valid database name).  The module goes to DIR itself, so `lightcone publish -p DIR` builds it;
 * the client to DIR/client.
 *
 * Where templates are found (the first that holds c-module/):
 *   1. $LIGHTCONE_TEMPLATES
 *   2. <directory of the lightcone binary>/../templates   (a checkout: build/lightcone)
 *   3. <directory of the lightcone binary>/../share/lightcone/templates   (an install)
 *   4. ./templates
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "cli_int.h"

const char cli_init_summary[] = "Create a new project (a C module, optionally a TS client)";
const char cli_init_usage[] =
    "  DIR                  the project directory (created; must be empty if it exists)\n"
    "  --lang c             the module's language (only c)\n"
    "  --client typescript  also write DIR/client: a node client using the npm spacetimedb SDK\n"
    "                       and bindings from 'lightcone generate'\n"
    "Environment: LIGHTCONE_TEMPLATES (the templates directory).\n";

static bool has_template(const char *dir)
{
    char p[PATH_MAX + 32];
    struct stat st;
    return snprintf(p, sizeof p, "%s/c-module", dir) < (int)sizeof p && stat(p, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

static int find_templates(char out[PATH_MAX])
{
    const char *env = getenv("LIGHTCONE_TEMPLATES");
    if (env && *env) {
        if (has_template(env) && realpath(env, out))
            return 0;
        cli_errorf("LIGHTCONE_TEMPLATES=%s holds no c-module/", env);
        return -1;
    }
    char exe[PATH_MAX], cand[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *bin = dirname(exe);
        static const char *const rel[] = {"../templates", "../share/lightcone/templates"};
        for (size_t i = 0; i < 2; i++) {
            snprintf(cand, sizeof cand, "%s/%s", bin, rel[i]);
            if (has_template(cand) && realpath(cand, out))
                return 0;
        }
    }
    if (has_template("templates") && realpath("templates", out))
        return 0;
    cli_errorf("%s", "cannot find the project templates: set LIGHTCONE_TEMPLATES");
    return -1;
}

/* Copy file src to dst with every "{{name}}" replaced by name. */
static int copy_file(const char *src, const char *dst, const char *name)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return -1;
    lc_buf_t b;
    lc_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) lc_buf_append(&b, chunk, n);
    fclose(in);
    lc_buf_terminate(&b);
    FILE *out = b.oom ? NULL : fopen(dst, "wx");
    int rc = out ? 0 : -1;
    for (const char *p = (const char *)b.data; out && p && *p;) {
        const char *m = strstr(p, "{{name}}");
        size_t len = m ? (size_t)(m - p) : strlen(p);
        if (fwrite(p, 1, len, out) != len || (m && fputs(name, out) < 0))
            rc = -1;
        p = m ? m + 8 : NULL;
    }
    if (out && fclose(out) != 0)
        rc = -1;
    lc_buf_free(&b);
    return rc;
}

/* Copy the regular files of directory src into dst (created). */
static int copy_template(const char *src, const char *dst, const char *name)
{
    if (cli_mkdir_p(dst) != 0) {
        cli_errorf("cannot create %s: %s", dst, strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    DIR *d = opendir(src);
    if (!d) {
        cli_errorf("cannot read the template %s", src);
        return CLI_EXIT_FAILURE;
    }
    int rc = CLI_EXIT_OK;
    for (struct dirent *de; rc == CLI_EXIT_OK && (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        char from[PATH_MAX * 2], to[PATH_MAX * 2];
        snprintf(from, sizeof from, "%s/%s", src, de->d_name);
        /* the module's file takes the project's name: DIR/<name>.c */
        if (strcmp(de->d_name, "module.c") == 0)
            snprintf(to, sizeof to, "%s/%s.c", dst, name);
        else
            snprintf(to, sizeof to, "%s/%s", dst, de->d_name);
        struct stat st;
        if (stat(from, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (copy_file(from, to, name) != 0) {
            cli_errorf("cannot write %s: %s", to, strerror(errno));
            rc = CLI_EXIT_FAILURE;
        }
    }
    closedir(d);
    return rc;
}

static bool dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT;
    bool empty = true;
    for (struct dirent *de; empty && (de = readdir(d));)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* The project's name, also its database's: DIR's last component in lowercase letters, digits
 * and '-'. */
static void project_name(const char *dir, char *out, size_t cap)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    const char *base = basename(tmp);
    size_t n = 0;
    for (const char *s = base; *s && n + 1 < cap; s++) {
        char c = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9' && n > 0);
        out[n++] = ok ? c : '-';
    }
    if (n == 0)
        out[n++] = 'm';
    out[n] = 0;
}

typedef struct init_opts {
    const char *lang, *client;
} init_opts_t;

static int init_opt(void *arg, int opt, const char *val)
{
    init_opts_t *o = arg;
    if (opt == 'l')
        o->lang = val;
    else if (opt == 'C')
        o->client = val;
    return 0;
}

int cli_cmd_init(const cli_command_t *cmd, int argc, char **argv)
{
    static const struct option extra[] = {
        {"lang", required_argument, NULL, 'l'},
        {"client", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    init_opts_t o = {"c", NULL};
    cli_opts_t co = {0};
    int rc = cli_parse(cmd, argc, argv, "l:", extra, init_opt, &o, &co);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (strcmp(o.lang, "c") != 0)
        return cli_usage_error(cmd, "--lang: only c modules are supported, not '%s'", o.lang);
    if (o.client && strcmp(o.client, "typescript") != 0 && strcmp(o.client, "ts") != 0)
        return cli_usage_error(cmd, "--client: expected typescript, got '%s'", o.client);
    if (argc - optind != 1)
        return cli_usage_error(cmd, "%s", "expected one project directory");
    const char *dir = argv[optind];
    if (!dir_is_empty(dir)) {
        cli_errorf("%s exists and is not empty", dir);
        return CLI_EXIT_FAILURE;
    }
    char tpl[PATH_MAX], src[PATH_MAX + 32], dst[PATH_MAX + 32], name[64];
    if (find_templates(tpl) != 0)
        return CLI_EXIT_FAILURE;
    project_name(dir, name, sizeof name);
    snprintf(src, sizeof src, "%s/c-module", tpl);
    if ((rc = copy_template(src, dir, name)))
        return rc;
    if (o.client) {
        snprintf(src, sizeof src, "%s/ts-client", tpl);
        snprintf(dst, sizeof dst, "%s/client", dir);
        if ((rc = copy_template(src, dst, name)))
            return rc;
    }
    printf("created %s: a C module '%s'%s\n", dir, name,
           o.client ? " and a TypeScript client in client/" : "");
    printf("next: lightcone publish -p %s %s%s%s\n", dir, name,
           o.client ? "; cd client && npm install && npm run generate && npm start" : "", "");
    return CLI_EXIT_OK;
}
