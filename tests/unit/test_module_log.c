/*
 * Module log tests (src/module/modlog.c): the JSON lines byte for byte
 * (all fields, absent fields, escapes, invalid UTF-8, truncation), the
 * `spacetime logs` text form, levels, day files chosen by the records'
 * timestamps and read back across days, reopen, the size and age bounds
 * (whole oldest files, parts within a day), the in-memory ring, following
 * with mod_log_wait and subscriptions, four appending threads, and write
 * failures that leave the records readable from memory.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "module/mod_log.h"
#include "test.h"

#define DAY_US    86400000000ll
#define AUG12_US  1723420800000000ll /* 2024-08-12T00:00:00Z */
#define SAMPLE_TS 1723456789012345ll /* 2024-08-12T09:59:49.012345Z */

/* ---------------------------------------------------------------- helpers */

static mod_log_record_t msg_record(int64_t ts, const char *msg)
{
    mod_log_record_t r = {.level = MOD_LOG_INFO,
                          .ts_us = ts,
                          .line = MOD_LOG_LINE_NONE,
                          .message = mod_log_cstr(msg)};
    return r;
}

static void append_msg(mod_log_t *log, int64_t ts, const char *fmt, int n)
{
    char msg[64];
    snprintf(msg, sizeof msg, fmt, n);
    mod_log_record_t r = msg_record(ts, msg);
    mod_log_append(log, &r);
}

/* The JSON line of rec, NUL-terminated, in a static buffer. */
static const char *encode(const mod_log_record_t *rec, size_t max)
{
    static char line[8192];
    lc_buf_t b = {0};
    bool cut;
    if (mod_log_encode(rec, max, &b, &cut) != LC_OK || b.len >= sizeof line) {
        lc_buf_free(&b);
        return "(error)";
    }
    memcpy(line, b.data, b.len);
    line[b.len] = 0;
    lc_buf_free(&b);
    return line;
}

/* The text form of a JSON line, NUL-terminated, in a static buffer. */
static const char *text(const char *json)
{
    static char out[2048];
    lc_buf_t b = {0};
    int rc = mod_log_format_text(json, strlen(json), &b);
    snprintf(out, sizeof out, "%.*s", rc == LC_OK ? (int)b.len : 0,
             rc == LC_OK ? (char *)b.data : "");
    if (rc != LC_OK)
        snprintf(out, sizeof out, "(rc %d)", rc);
    lc_buf_free(&b);
    return out;
}

static size_t count_lines(const lc_buf_t *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++) n += b->data[i] == '\n';
    return n;
}

/* The message number of every line ("... "message":"r<N>" ..."), in order,
 * into nums; returns how many (or -1 on a line without one). */
static long message_numbers(const lc_buf_t *b, long *nums, size_t cap)
{
    long n = 0;
    const char *p = (const char *)b->data, *end = p + b->len;
    while (p < end && (size_t)n < cap) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *m = memmem(p, (size_t)(nl - p), "\"message\":\"r", 12);
        if (nl == NULL || m == NULL)
            return -1;
        nums[n++] = strtol(m + 12, NULL, 10);
        p = nl + 1;
    }
    return n;
}

static char *log_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    return path;
}

/* Size of dir/name, or -1 if it does not exist. */
static long long file_size(const char *dir, const char *name)
{
    char path[768];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Sum of the sizes of the *.log files in dir, and their number. */
static long long dir_bytes(const char *dir, int *nfiles)
{
    DIR *d = opendir(dir);
    long long total = 0;
    *nfiles = 0;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".log") == 0) {
            total += file_size(dir, de->d_name);
            (*nfiles)++;
        }
    }
    if (d != NULL)
        closedir(d);
    return total;
}

static size_t file_lines(const char *dir, const char *name)
{
    char path[768];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    while (f != NULL && (c = fgetc(f)) != EOF) n += c == '\n';
    if (f != NULL)
        fclose(f);
    return n;
}

/* ---------------------------------------------------------------- JSON */

TEST(modlog_json_all_fields)
{
    mod_log_record_t r = {
        .level = MOD_LOG_INFO,
        .ts_us = SAMPLE_TS,
        .target = mod_log_cstr("my_module"),
        .filename = mod_log_cstr("src/lib.rs"),
        .line = 42,
        .function = mod_log_cstr("add_person"),
        .message = mod_log_cstr("hello"),
    };
    CHECK_EQ_STR(encode(&r, 0),
                 "{\"level\":\"Info\",\"ts\":1723456789012345,\"target\":\"my_module\","
                 "\"filename\":\"src/lib.rs\",\"line_number\":42,\"function\":"
                 "\"add_person\",\"message\":\"hello\"}\n");
    r.line = 0;
    r.level = mod_log_level_from_abi(4);
    CHECK(strstr(encode(&r, 0), "{\"level\":\"Trace\",") == encode(&r, 0));
    CHECK(strstr(encode(&r, 0), "\"line_number\":0,") != NULL);
}

TEST(modlog_json_absent_fields)
{
    mod_log_record_t r = msg_record(0, "x");
    r.level = MOD_LOG_WARN;
    CHECK_EQ_STR(encode(&r, 0), "{\"level\":\"Warn\",\"ts\":0,\"message\":\"x\"}\n");
    r.message.p = NULL;
    r.ts_us = -5;
    CHECK_EQ_STR(encode(&r, 0), "{\"level\":\"Warn\",\"ts\":-5,\"message\":\"\"}\n");
    /* Present but empty is not absent. */
    r.target = (mod_log_bytes_t){"", 0};
    r.line = 7;
    CHECK_EQ_STR(
        encode(&r, 0),
        "{\"level\":\"Warn\",\"ts\":-5,\"target\":\"\",\"line_number\":7,\"message\":\"\"}\n");
    /* Trace frames only matter for Panic. */
    mod_log_frame_t f = {mod_log_cstr("m"), mod_log_cstr("f")};
    r.trace = &f;
    r.trace_len = 1;
    CHECK(strstr(encode(&r, 0), "trace") == NULL);
}

TEST(modlog_json_escapes)
{
    static const char msg[] = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/\xc3\xa9\xe2\x80\xa8 \xf0\x9f\x98\x80";
    mod_log_record_t r = msg_record(1, msg);
    r.function = mod_log_cstr("f\"n");
    CHECK_EQ_STR(encode(&r, 0),
                 "{\"level\":\"Info\",\"ts\":1,\"function\":\"f\\\"n\",\"message\":"
                 "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\x7f/\xc3\xa9\xe2\x80\xa8 "
                 "\xf0\x9f\x98\x80\"}\n");
    /* An embedded NUL is a character like any other. */
    r = msg_record(1, NULL);
    r.message = (mod_log_bytes_t){"a\0b", 3};
    CHECK_EQ_STR(encode(&r, 0), "{\"level\":\"Info\",\"ts\":1,\"message\":\"a\\u0000b\"}\n");
}

TEST(modlog_json_invalid_utf8)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\xff", "\xef\xbf\xbd"},
        {"a\xc3", "a\xef\xbf\xbd"},
        {"\xe2\x82", "\xef\xbf\xbd"},
        {"\xe2\x82x", "\xef\xbf\xbdx"},
        {"\xf0\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf0\x9f\x98", "\xef\xbf\xbd"},
        {"\xf0\x9f\x98\"", "\xef\xbf\xbd\\\""},
        {"\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf"},
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(cases); i++) {
        mod_log_record_t r = msg_record(2, cases[i].in);
        char want[128];
        snprintf(want, sizeof want, "{\"level\":\"Info\",\"ts\":2,\"message\":\"%s\"}\n",
                 cases[i].out);
        CHECK_MSG(strcmp(encode(&r, 0), want) == 0, "case %zu: %s", i, encode(&r, 0));
    }
}

TEST(modlog_json_panic_trace)
{
    mod_log_frame_t frames[] = {
        {mod_log_cstr("m"), mod_log_cstr("f")},
        {{NULL, 0}, mod_log_cstr("g\n")},
        {{NULL, 0}, {NULL, 0}},
    };
    mod_log_record_t r = {.level = mod_log_level_from_abi(101),
                          .ts_us = 3,
                          .filename = mod_log_cstr("src/lib.rs"),
                          .line = 9,
                          .message = mod_log_cstr("boom"),
                          .trace = frames,
                          .trace_len = 3};
    CHECK_EQ_STR(encode(&r, 0),
                 "{\"level\":\"Panic\",\"ts\":3,\"filename\":\"src/lib.rs\","
                 "\"line_number\":9,\"message\":\"boom\",\"trace\":[{\"module_name\":"
                 "\"m\",\"func_name\":\"f\"},{\"func_name\":\"g\\n\"},{}]}\n");
    r.trace_len = 0;
    CHECK_EQ_STR(encode(&r, 0), "{\"level\":\"Panic\",\"ts\":3,\"filename\":\"src/lib.rs\","
                                "\"line_number\":9,\"message\":\"boom\",\"trace\":[]}\n");
}

TEST(modlog_json_truncation)
{
    static char big[6000];
    memset(big, 'a', sizeof big - 1);
    mod_log_record_t r = msg_record(4, big);
    const char *line = encode(&r, 1024);
    size_t n = strlen(line);
    CHECK(n <= 1024 && n > 900);
    CHECK(strcmp(line + n - 15, " [truncated]\"}\n") == 0);
    /* Multibyte characters are never split. */
    for (size_t i = 0; i + 2 < sizeof big; i += 2) memcpy(big + i, "\xc3\xa9", 2);
    big[sizeof big - 2] = 0;
    line = encode(&r, 1024);
    n = strlen(line);
    const char *mark = strstr(line, " [truncated]");
    CHECK(n <= 1024 && mark != NULL);
    CHECK(memcmp(mark - 2, "\xc3\xa9", 2) == 0);
    bool cut = true;
    lc_buf_t b = {0};
    r.message = mod_log_cstr("short");
    CHECK_OK(mod_log_encode(&r, 1024, &b, &cut));
    CHECK(!cut);
    lc_buf_free(&b);
}

/* ---------------------------------------------------------------- levels */

TEST(modlog_levels)
{
    CHECK_EQ_INT(mod_log_level_from_abi(0), MOD_LOG_ERROR);
    CHECK_EQ_INT(mod_log_level_from_abi(2), MOD_LOG_INFO);
    CHECK_EQ_INT(mod_log_level_from_abi(5), MOD_LOG_DEBUG); /* C#'s Panic = 5 */
    CHECK_EQ_INT(mod_log_level_from_abi(101), MOD_LOG_PANIC);
    CHECK_EQ_INT(mod_log_level_from_abi(0xFFFFFFFF), MOD_LOG_DEBUG);
    CHECK_EQ_INT(mod_log_level_from_abi(0x100 + 101), MOD_LOG_PANIC);
    CHECK_EQ_INT(mod_log_level_from_abi(0x101), MOD_LOG_WARN);
    mod_log_level_t l;
    CHECK_OK(mod_log_level_parse("warn", &l));
    CHECK_EQ_INT(l, MOD_LOG_WARN);
    CHECK_OK(mod_log_level_parse("PANIC", &l));
    CHECK_EQ_INT(l, MOD_LOG_PANIC);
    CHECK_EQ_INT(mod_log_level_parse("warning", &l), LC_EINVAL);
    CHECK_EQ_INT(mod_log_level_parse("", &l), LC_EINVAL);
    CHECK(mod_log_level_passes(MOD_LOG_ERROR, MOD_LOG_WARN));
    CHECK(mod_log_level_passes(MOD_LOG_PANIC, MOD_LOG_ERROR));
    CHECK(mod_log_level_passes(MOD_LOG_TRACE, MOD_LOG_TRACE));
    CHECK(!mod_log_level_passes(MOD_LOG_INFO, MOD_LOG_WARN));
    CHECK(!mod_log_level_passes(MOD_LOG_DEBUG, MOD_LOG_INFO));
    CHECK(!mod_log_level_passes(MOD_LOG_ERROR, MOD_LOG_PANIC));
    static const char a[] = "{\"level\":\"Error\",\"ts\":1,\"message\":\"x\"}\n";
    static const char b[] = "{\"message\":\"x\",\"level\":\"Panic\"}";
    CHECK_OK(mod_log_line_level(a, strlen(a), &l));
    CHECK_EQ_INT(l, MOD_LOG_ERROR);
    CHECK_OK(mod_log_line_level(b, strlen(b), &l));
    CHECK_EQ_INT(l, MOD_LOG_PANIC);
    CHECK_EQ_INT(mod_log_line_level("{\"level\":\"info\"}", 16, &l), LC_ECORRUPT);
    CHECK_EQ_INT(mod_log_line_level("nope", 4, &l), LC_ECORRUPT);
}

/* ---------------------------------------------------------------- text */

TEST(modlog_text_format)
{
    CHECK_EQ_STR(text("{\"level\":\"Info\",\"ts\":1723456789012345,\"target\":\"my_module\","
                      "\"filename\":\"src/lib.rs\",\"line_number\":42,\"function\":\"add_person\","
                      "\"message\":\"hello\"}\n"),
                 "2024-08-12T09:59:49.012345Z  INFO: add_person src/lib.rs:42: hello\n");
    /* Sentinels hide function and filename, and with them the separator. */
    CHECK_EQ_STR(text("{\"level\":\"Info\",\"ts\":1723456789000000,\"target\":\"__spacetimedb__\","
                      "\"filename\":\"__spacetimedb__\",\"function\":\"__spacetimedb__\","
                      "\"message\":\"Database initialized\"}"),
                 "2024-08-12T09:59:49Z  INFO: Database initialized\n");
    CHECK_EQ_STR(
        text("{\"level\":\"Error\",\"ts\":1723456789012000,\"target\":\"__spacetimedb__\","
             "\"filename\":\"__spacetimedb__\",\"function\":\"add\",\"message\":\"boom\"}"),
        "2024-08-12T09:59:49.012Z ERROR: add: boom\n");
    CHECK_EQ_STR(text("{\"level\":\"Warn\",\"ts\":0,\"filename\":\"src/x.rs\",\"message\":\"m\"}"),
                 "1970-01-01T00:00:00Z  WARN: src/x.rs: m\n");
    CHECK_EQ_STR(text("{\"level\":\"Debug\",\"message\":\"no ts\",\"line_number\":3}"),
                 "DEBUG: no ts\n");
    CHECK_EQ_STR(text("{\"level\":\"Trace\",\"ts\":-1,\"function\":null,\"message\":\"t\"}"),
                 "1969-12-31T23:59:59.999999Z TRACE: t\n");
    CHECK_EQ_STR(text("{\"level\":\"Info\",\"ts\":253402300800000000,\"message\":\"far\"}"),
                 "+10000-01-01T00:00:00Z  INFO: far\n");
}

TEST(modlog_text_panic)
{
    CHECK_EQ_STR(
        text("{\"level\":\"Panic\",\"ts\":1723456789012345,\"target\":\"m\","
             "\"filename\":\"src/lib.rs\",\"line_number\":7,\"function\":\"f\","
             "\"message\":\"oh no\",\"trace\":[{\"module_name\":\"m\",\"func_name\":\"f\"},"
             "{\"func_name\":\"g\"},{}]}"),
        "2024-08-12T09:59:49.012345Z PANIC: f src/lib.rs:7: oh no\n"
        "backtrace:\n"
        "    0: m!f\n"
        "    1: g\n"
        "    2: <unknown>\n");
    /* Frames with symbols, as older reference hosts wrote them. */
    CHECK_EQ_STR(
        text("{\"level\":\"Panic\",\"message\":\"p\",\"trace\":[{\"module_name\":\"m\","
             "\"func_name\":\"f\",\"symbols\":[{\"file\":\"a.rs\",\"line\":1,\"column\":2},"
             "{\"name\":\"inner\"}]}]}"),
        "PANIC: p\nbacktrace:\n    0: f\n         at a.rs:1:2\n       inner\n");
    /* A round trip through the encoder. */
    mod_log_frame_t fr = {{NULL, 0}, mod_log_cstr("h")};
    mod_log_record_t r = {.level = MOD_LOG_PANIC,
                          .ts_us = AUG12_US,
                          .line = MOD_LOG_LINE_NONE,
                          .message = mod_log_cstr("x"),
                          .trace = &fr,
                          .trace_len = 1};
    char line[256];
    snprintf(line, sizeof line, "%s", encode(&r, 0));
    CHECK_EQ_STR(text(line), "2024-08-12T00:00:00Z PANIC: x\nbacktrace:\n    0: h\n");
}

TEST(modlog_text_rejects)
{
    static const char *const bad[] = {
        "not json",
        "[1]",
        "{\"level\":\"Loud\",\"message\":\"x\"}",
        "{\"level\":\"Info\"}",
        "{\"level\":\"Info\",\"message\":3}",
        "{\"level\":\"Info\",\"message\":\"x\",\"ts\":\"now\"}",
        "{\"level\":\"Info\",\"message\":\"x\",\"line_number\":-1}",
        "{\"level\":\"Info\",\"message\":\"x\",\"filename\":1}",
        "{\"level\":\"Panic\",\"message\":\"x\",\"trace\":[3]}",
    };
    for (size_t i = 0; i < LC_ARRAY_LEN(bad); i++) {
        lc_buf_t b = {0};
        CHECK_MSG(mod_log_format_text(bad[i], strlen(bad[i]), &b) == LC_ECORRUPT, "%s", bad[i]);
        CHECK_EQ_INT(b.len, 0);
        lc_buf_free(&b);
    }
    /* Embedded NULs survive. */
    static const char nul[] = "{\"level\":\"Info\",\"message\":\"a\\u0000b\"}";
    lc_buf_t b = {0};
    CHECK_OK(mod_log_format_text(nul, strlen(nul), &b));
    CHECK_EQ_INT(b.len, 11);
    CHECK_EQ_MEM(b.data, " INFO: a\0b\n", 11);
    lc_buf_free(&b);
}

/* ---------------------------------------------------------------- injected */

TEST(modlog_injected_records)
{
    mod_log_t *log;
    CHECK_OK(mod_log_open(NULL, NULL, &log, NULL));
    mod_log_error_for(log, "add", SAMPLE_TS, "boom");
    mod_log_system(log, "Database %s", "initialized");
    lc_buf_t b = {0};
    CHECK_OK(mod_log_read(log, 0, &b, NULL));
    lc_buf_terminate(&b);
    const char *want =
        "{\"level\":\"Error\",\"ts\":1723456789012345,\"target\":\"__spacetimedb__\","
        "\"filename\":\"__spacetimedb__\",\"function\":\"add\",\"message\":"
        "\"boom\"}\n{\"level\":\"Info\",\"ts\":";
    CHECK(strncmp((char *)b.data, want, strlen(want)) == 0);
    CHECK(strstr((char *)b.data, ",\"target\":\"__spacetimedb__\",\"filename\":\"__spacetimedb__\","
                                 "\"function\":\"__spacetimedb__\",\"message\":\"Database "
                                 "initialized\"}\n") != NULL);
    CHECK_EQ_INT(count_lines(&b), 2);
    lc_buf_free(&b);
    mod_log_close(log);
    /* No log: no-ops. */
    mod_log_system(NULL, "x");
    mod_log_error_for(NULL, "f", 0, "m");
    mod_log_record_t r = msg_record(0, "x");
    CHECK_OK(mod_log_append(NULL, &r));
    mod_log_close(NULL);
}

/* ---------------------------------------------------------------- files */

TEST(modlog_days_read_last_n)
{
    const char *dir = log_dir("days");
    /* A one-byte tail: the ring keeps only the newest record, so reads go to
     * the files. */
    mod_log_config_t cfg = {.mem_tail_bytes = 1};
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, &cfg, &log, NULL));
    struct stat st;
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
    for (int i = 0; i < 3; i++) append_msg(log, AUG12_US + 3600000000ll * (i + 1), "r%d", i);
    for (int i = 3; i < 5; i++) append_msg(log, AUG12_US + DAY_US + i, "r%d", i);
    CHECK_EQ_INT(file_lines(dir, "2024-08-12.log"), 3);
    CHECK_EQ_INT(file_lines(dir, "2024-08-13.log"), 2);
    mod_log_stats_t s;
    mod_log_stats(log, &s);
    CHECK_EQ_INT(s.files, 2);
    CHECK_EQ_INT(s.mem_records, 1);
    CHECK_EQ_INT(s.disk_bytes, file_size(dir, "2024-08-12.log") + file_size(dir, "2024-08-13.log"));

    static const struct {
        size_t n;
        long first, count;
    } reads[] = {{1, 4, 1}, {2, 3, 2}, {4, 1, 4}, {5, 0, 5}, {50, 0, 5}, {0, 0, 5}};
    for (size_t k = 0; k < LC_ARRAY_LEN(reads); k++) {
        lc_buf_t b = {0};
        uint64_t cursor;
        long nums[16];
        CHECK_OK(mod_log_read(log, reads[k].n, &b, &cursor));
        CHECK_EQ_INT(cursor, 5);
        CHECK_EQ_INT(message_numbers(&b, nums, 16), reads[k].count);
        for (long i = 0; i < reads[k].count; i++) CHECK_EQ_INT(nums[i], reads[k].first + i);
        lc_buf_free(&b);
    }
    /* A record stamped before the current day joins the current file. */
    append_msg(log, AUG12_US, "r%d", 5);
    CHECK_EQ_INT(file_lines(dir, "2024-08-13.log"), 3);
    mod_log_close(log);
}

TEST(modlog_reopen_picks_up_files)
{
    const char *dir = log_dir("reopen");
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, NULL, &log, NULL));
    for (int i = 0; i < 6; i++) append_msg(log, AUG12_US + DAY_US * (i / 2), "r%d", i);
    mod_log_close(log);
    /* Foreign and malformed names are not ours. */
    const char *foreign[] = {"notes.txt", "2024-02-30.log", "2024-08-12.0.log", "2024-08-12.01.log",
                             "2024-8-12.log"};
    for (size_t i = 0; i < LC_ARRAY_LEN(foreign); i++) {
        char path[768];
        snprintf(path, sizeof path, "%s/%s", dir, foreign[i]);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        fputs("{\"level\":\"Info\",\"ts\":0,\"message\":\"foreign\"}\n", f);
        fclose(f);
    }

    CHECK_OK(mod_log_open(dir, NULL, &log, NULL));
    mod_log_stats_t s;
    mod_log_stats(log, &s);
    CHECK_EQ_INT(s.files, 3);
    CHECK_EQ_INT(s.mem_records, 0);
    CHECK_EQ_INT(s.disk_bytes, file_size(dir, "2024-08-12.log") + file_size(dir, "2024-08-13.log") +
                                   file_size(dir, "2024-08-14.log"));
    lc_buf_t b = {0};
    long nums[16];
    uint64_t cursor;
    CHECK_OK(mod_log_read(log, 0, &b, &cursor));
    CHECK_EQ_INT(message_numbers(&b, nums, 16), 6);
    for (int i = 0; i < 6; i++) CHECK_EQ_INT(nums[i], i);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_read(log, 3, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 16), 3);
    CHECK_EQ_INT(nums[0], 3);
    /* Appending continues the newest file; reads see old and new. */
    append_msg(log, AUG12_US + DAY_US * 2 + 5, "r%d", 6);
    CHECK_EQ_INT(file_lines(dir, "2024-08-14.log"), 3);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_read(log, 4, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 16), 4);
    CHECK_EQ_INT(nums[0], 3);
    CHECK_EQ_INT(nums[3], 6);
    lc_buf_free(&b);
    mod_log_close(log);
}

TEST(modlog_torn_tail_cut_at_open)
{
    const char *dir = log_dir("torn");
    CHECK(mkdir(dir, 0700) == 0);
    char path[768];
    snprintf(path, sizeof path, "%s/2024-08-12.log", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    static const char good[] = "{\"level\":\"Info\",\"ts\":1723420800000001,\"message\":\"r0\"}\n";
    fputs(good, f);
    fputs("{\"level\":\"Info\",\"ts\":17234", f);
    fclose(f);
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, NULL, &log, NULL));
    CHECK_EQ_INT(file_size(dir, "2024-08-12.log"), strlen(good));
    append_msg(log, AUG12_US + 2, "r%d", 1);
    lc_buf_t b = {0};
    long nums[4];
    CHECK_OK(mod_log_read(log, 0, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 4), 2);
    CHECK_EQ_INT(nums[0], 0);
    CHECK_EQ_INT(nums[1], 1);
    lc_buf_free(&b);
    mod_log_close(log);
}

TEST(modlog_size_bound_evicts_oldest_days)
{
    const char *dir = log_dir("bound");
    mod_log_config_t cfg = {.max_total_bytes = 16384, .mem_tail_bytes = 1};
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, &cfg, &log, NULL));
    char pad[150];
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = 0;
    int n = 0;
    for (int day = 0; day < 10; day++) {
        for (int i = 0; i < 15; i++, n++) {
            char msg[200];
            snprintf(msg, sizeof msg, "r%d %s", n, pad);
            mod_log_record_t r = msg_record(AUG12_US + DAY_US * day + i, msg);
            CHECK_OK(mod_log_append(log, &r));
            mod_log_stats_t s;
            mod_log_stats(log, &s);
            int nfiles;
            CHECK(s.disk_bytes <= 16384);
            CHECK_EQ_INT(dir_bytes(dir, &nfiles), s.disk_bytes);
            CHECK_EQ_INT(nfiles, s.files);
        }
    }
    CHECK_EQ_INT(file_size(dir, "2024-08-12.log"), -1);
    CHECK_EQ_INT(file_lines(dir, "2024-08-21.log"), 15);
    mod_log_stats_t s;
    mod_log_stats(log, &s);
    CHECK(s.files_removed >= 5);
    /* What remains reads back as the newest records, in order. */
    lc_buf_t b = {0};
    long nums[200];
    CHECK_OK(mod_log_read(log, 0, &b, NULL));
    long got = message_numbers(&b, nums, 200);
    CHECK(got >= 15 && got < n);
    for (long i = 0; i < got; i++) CHECK_EQ_INT(nums[i], n - got + i);
    lc_buf_free(&b);
    mod_log_close(log);
}

TEST(modlog_size_bound_rotates_within_day)
{
    const char *dir = log_dir("parts");
    mod_log_config_t cfg = {.max_total_bytes = 16384, .mem_tail_bytes = 1};
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, &cfg, &log, NULL));
    char pad[200];
    memset(pad, 'q', sizeof pad - 1);
    pad[sizeof pad - 1] = 0;
    int n = 400;
    for (int i = 0; i < n; i++) {
        char msg[260];
        snprintf(msg, sizeof msg, "r%d %s", i, pad);
        mod_log_record_t r = msg_record(AUG12_US + i, msg);
        CHECK_OK(mod_log_append(log, &r));
    }
    int nfiles;
    long long total = dir_bytes(dir, &nfiles);
    CHECK(total <= 16384 && total > 8192);
    CHECK(nfiles >= 2);
    CHECK_EQ_INT(file_size(dir, "2024-08-12.log"), -1); /* the first part went first */
    CHECK(file_size(dir, "2024-08-12.1.log") == -1);
    mod_log_close(log);

    /* Reopened, the parts read back in order. */
    CHECK_OK(mod_log_open(dir, &cfg, &log, NULL));
    lc_buf_t b = {0};
    long nums[400];
    CHECK_OK(mod_log_read(log, 0, &b, NULL));
    long got = message_numbers(&b, nums, 400);
    CHECK(got > 20);
    for (long i = 0; i < got; i++) CHECK_EQ_INT(nums[i], n - got + i);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_read(log, 25, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 400), 25);
    CHECK_EQ_INT(nums[24], n - 1);
    lc_buf_free(&b);
    mod_log_close(log);
}

TEST(modlog_age_bound)
{
    const char *dir = log_dir("age");
    mod_log_config_t cfg = {.max_age_days = 3};
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, &cfg, &log, NULL));
    for (int day = 0; day < 5; day++) append_msg(log, AUG12_US + DAY_US * day, "r%d", day);
    CHECK_EQ_INT(file_size(dir, "2024-08-12.log"), -1);
    CHECK_EQ_INT(file_size(dir, "2024-08-13.log"), -1);
    CHECK_EQ_INT(file_lines(dir, "2024-08-14.log"), 1);
    CHECK_EQ_INT(file_lines(dir, "2024-08-16.log"), 1);
    mod_log_close(log);
    /* A tighter bound applies at open, counted from the newest file. */
    cfg.max_age_days = 1;
    CHECK_OK(mod_log_open(dir, &cfg, &log, NULL));
    mod_log_stats_t s;
    mod_log_stats(log, &s);
    CHECK_EQ_INT(s.files, 1);
    CHECK_EQ_INT(file_size(dir, "2024-08-15.log"), -1);
    mod_log_close(log);
}

/* ---------------------------------------------------------------- memory */

TEST(modlog_memory_ring)
{
    mod_log_config_t cfg = {.max_total_bytes = 16384};
    mod_log_t *log;
    CHECK_OK(mod_log_open(NULL, &cfg, &log, NULL));
    for (int i = 0; i < 1000; i++) append_msg(log, SAMPLE_TS + i, "r%d", i);
    mod_log_stats_t s;
    mod_log_stats(log, &s);
    CHECK(s.mem_bytes <= 16384 && s.mem_records > 100 && s.mem_records < 1000);
    CHECK_EQ_INT(s.files, 0);
    CHECK_EQ_INT(s.next_seq, 1000);
    lc_buf_t b = {0};
    long nums[1000];
    uint64_t cursor;
    CHECK_OK(mod_log_read(log, 0, &b, &cursor));
    CHECK_EQ_INT(cursor, 1000);
    long got = message_numbers(&b, nums, 1000);
    CHECK_EQ_INT(got, s.mem_records);
    for (long i = 0; i < got; i++) CHECK_EQ_INT(nums[i], 1000 - got + i);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_read(log, 5, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 1000), 5);
    CHECK_EQ_INT(nums[0], 995);
    lc_buf_free(&b);
    mod_log_close(log);
}

/* ---------------------------------------------------------------- follow */

typedef struct waiter {
    mod_log_t *log;
    uint64_t cursor, cursor_out;
    int rc;
    lc_buf_t out;
} waiter_t;

static void *waiter_main(void *arg)
{
    waiter_t *w = arg;
    w->rc = mod_log_wait(w->log, w->cursor, 30000, &w->out, &w->cursor_out);
    return NULL;
}

TEST(modlog_wait_follows)
{
    mod_log_t *log;
    CHECK_OK(mod_log_open(log_dir("follow"), NULL, &log, NULL));
    append_msg(log, SAMPLE_TS, "r%d", 0);
    lc_buf_t b = {0};
    uint64_t cursor, next;
    CHECK_OK(mod_log_read(log, 10, &b, &cursor));
    CHECK_EQ_INT(count_lines(&b), 1);
    CHECK_EQ_INT(cursor, 1);
    /* Nothing new: a poll and a short wait both come back empty. */
    lc_buf_reset(&b);
    CHECK_OK(mod_log_wait(log, cursor, 0, &b, &next));
    CHECK_EQ_INT(next, cursor);
    CHECK_EQ_INT(b.len, 0);
    CHECK_OK(mod_log_wait(log, cursor, 20, &b, &next));
    CHECK_EQ_INT(next, cursor);
    CHECK_EQ_INT(b.len, 0);
    /* New records come back exactly once. */
    append_msg(log, SAMPLE_TS, "r%d", 1);
    append_msg(log, SAMPLE_TS, "r%d", 2);
    long nums[4];
    CHECK_OK(mod_log_wait(log, cursor, 1000, &b, &next));
    CHECK_EQ_INT(next, 3);
    CHECK_EQ_INT(message_numbers(&b, nums, 4), 2);
    CHECK_EQ_INT(nums[0], 1);
    CHECK_EQ_INT(nums[1], 2);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_wait(log, next, 0, &b, &next));
    CHECK_EQ_INT(b.len, 0);
    /* A cursor without lines. */
    CHECK_OK(mod_log_read(log, 0, NULL, &next));
    CHECK_EQ_INT(next, 3);
    /* A cursor from the future is taken as "now". */
    CHECK_OK(mod_log_wait(log, 999, 0, &b, &next));
    CHECK_EQ_INT(next, 3);
    lc_buf_free(&b);

    /* A blocked waiter is woken by an append from another thread. */
    waiter_t w = {.log = log, .cursor = next};
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, waiter_main, &w));
    append_msg(log, SAMPLE_TS, "r%d", 3);
    pthread_join(t, NULL);
    CHECK_OK(w.rc);
    CHECK_EQ_INT(w.cursor_out, 4);
    CHECK_EQ_INT(message_numbers(&w.out, nums, 4), 1);
    CHECK_EQ_INT(nums[0], 3);
    lc_buf_free(&w.out);
    mod_log_close(log);
}

TEST(modlog_wait_skips_evicted)
{
    mod_log_config_t cfg = {.max_total_bytes = 16384};
    mod_log_t *log;
    CHECK_OK(mod_log_open(NULL, &cfg, &log, NULL));
    for (int i = 0; i < 1000; i++) append_msg(log, SAMPLE_TS, "r%d", i);
    lc_buf_t b = {0};
    uint64_t next;
    long nums[1000];
    CHECK_OK(mod_log_wait(log, 0, 0, &b, &next));
    CHECK_EQ_INT(next, 1000);
    long got = message_numbers(&b, nums, 1000);
    CHECK(got > 0 && got < 1000);
    CHECK_EQ_INT(nums[got - 1], 999);
    lc_buf_free(&b);
    mod_log_close(log);
}

static void count_cb(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

TEST(modlog_subscribe)
{
    mod_log_t *log;
    CHECK_OK(mod_log_open(NULL, NULL, &log, NULL));
    atomic_int a = 0, b = 0;
    CHECK_OK(mod_log_subscribe(log, count_cb, &a));
    CHECK_OK(mod_log_subscribe(log, count_cb, &b));
    for (int i = 0; i < 3; i++) append_msg(log, SAMPLE_TS, "r%d", i);
    CHECK_EQ_INT(atomic_load(&a), 3);
    CHECK_EQ_INT(atomic_load(&b), 3);
    mod_log_unsubscribe(log, count_cb, &a);
    mod_log_unsubscribe(log, count_cb, &a); /* twice: harmless */
    append_msg(log, SAMPLE_TS, "r%d", 3);
    CHECK_EQ_INT(atomic_load(&a), 3);
    CHECK_EQ_INT(atomic_load(&b), 4);
    mod_log_close(log);
}

/* ---------------------------------------------------------------- threads */

#define THREADS    4
#define PER_THREAD 2000
typedef struct appender {
    mod_log_t *log;
    int id;
} appender_t;

static void *appender_main(void *arg)
{
    appender_t *a = arg;
    for (int i = 0; i < PER_THREAD; i++)
        append_msg(a->log, SAMPLE_TS + i, "r%d", a->id * PER_THREAD + i);
    return NULL;
}

TEST(modlog_concurrent_appends)
{
    const char *dir = log_dir("threads");
    mod_log_config_t cfg = {.mem_tail_bytes = 4096};
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, &cfg, &log, NULL));
    pthread_t t[THREADS];
    appender_t a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (appender_t){log, i};
        CHECK_OK(pthread_create(&t[i], NULL, appender_main, &a[i]));
    }
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    mod_log_stats_t s;
    mod_log_stats(log, &s);
    CHECK_EQ_INT(s.records, THREADS * PER_THREAD);
    CHECK_EQ_INT(s.write_errors, 0);
    CHECK_EQ_INT(file_lines(dir, "2024-08-12.log"), THREADS * PER_THREAD);
    lc_buf_t b = {0};
    static long nums[THREADS * PER_THREAD];
    CHECK_OK(mod_log_read(log, 0, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, THREADS * PER_THREAD), THREADS * PER_THREAD);
    /* Each thread's records in its own order, none lost or doubled. */
    long last[THREADS] = {-1, -1, -1, -1};
    for (long i = 0; i < THREADS * PER_THREAD; i++) {
        int id = (int)(nums[i] / PER_THREAD);
        CHECK(id >= 0 && id < THREADS);
        CHECK(nums[i] % PER_THREAD == last[id] + 1);
        last[id]++;
    }
    lc_buf_free(&b);
    mod_log_close(log);
}

/* ---------------------------------------------------------------- failures */

TEST(modlog_write_failure_keeps_records)
{
    const char *dir = log_dir("fail");
    mod_log_t *log;
    CHECK_OK(mod_log_open(dir, NULL, &log, NULL));
    append_msg(log, SAMPLE_TS, "r%d", 0);
    mod_log__fail_writes_after(log, 1);
    append_msg(log, SAMPLE_TS, "r%d", 1);
    append_msg(log, SAMPLE_TS, "r%d", 2);
    mod_log__fail_writes_after(log, 0);
    append_msg(log, SAMPLE_TS, "r%d", 3);
    mod_log_stats_t s;
    mod_log_stats(log, &s);
    CHECK_EQ_INT(s.write_errors, 2);
    CHECK_EQ_INT(s.records, 4);
    CHECK_EQ_INT(file_lines(dir, "2024-08-12.log"), 2);
    lc_buf_t b = {0};
    long nums[8];
    CHECK_OK(mod_log_read(log, 0, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 8), 4);
    for (int i = 0; i < 4; i++) CHECK_EQ_INT(nums[i], i);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_read(log, 2, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 8), 2);
    CHECK_EQ_INT(nums[0], 2);

    /* The directory itself vanishes: the next day's file cannot be created. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
    append_msg(log, SAMPLE_TS + DAY_US, "r%d", 4);
    mod_log_stats(log, &s);
    CHECK_EQ_INT(s.write_errors, 3);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_read(log, 1, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 8), 1);
    CHECK_EQ_INT(nums[0], 4);
    lc_buf_reset(&b);
    CHECK_OK(mod_log_read(log, 0, &b, NULL));
    CHECK_EQ_INT(message_numbers(&b, nums, 8), 5);
    lc_buf_free(&b);
    mod_log_close(log);
}

/* Every allocation failing in turn: clean errors, dropped records counted,
 * nothing leaked (the runner checks), nothing crashes. */
TEST(modlog_alloc_failures)
{
    for (long n = 1; n < 60; n++) {
        char name[32];
        snprintf(name, sizeof name, "alloc%ld", n % 2 ? n : 0);
        lc_fault_alloc_after(n);
        mod_log_t *log;
        int rc = mod_log_open(n % 2 ? log_dir(name) : NULL, NULL, &log, NULL);
        if (rc != LC_OK) {
            lc_fault_alloc_after(0);
            CHECK_EQ_INT(rc, LC_ENOMEM);
            continue;
        }
        lc_buf_t b = {0};
        uint64_t cursor;
        for (int i = 0; i < 3; i++) append_msg(log, SAMPLE_TS + i, "r%d", i);
        mod_log_system(log, "sys %d", 1);
        rc = mod_log_read(log, 2, &b, &cursor);
        CHECK(rc == LC_OK || rc == LC_ENOMEM);
        rc = mod_log_read(log, 0, &b, &cursor);
        CHECK(rc == LC_OK || rc == LC_ENOMEM);
        rc = mod_log_wait(log, 0, 0, &b, &cursor);
        CHECK(rc == LC_OK || rc == LC_ENOMEM);
        lc_fault_alloc_after(0);
        mod_log_stats_t s;
        mod_log_stats(log, &s);
        CHECK(s.records <= 4 && s.records + s.dropped >= 4);
        lc_buf_free(&b);
        mod_log_close(log);
    }
}

TEST(modlog_open_errors)
{
    mod_log_t *log = (mod_log_t *)1;
    lc_err_t err;
    char path[600];
    snprintf(path, sizeof path, "%s/missing/parent", test_tmpdir());
    CHECK_EQ_INT(mod_log_open(path, NULL, &log, &err), LC_EIO);
    CHECK(log == NULL);
    CHECK(strstr(err.msg, "cannot create") != NULL);
}

const test_case_t test_module_log_cases[] = {
    TEST_CASE(modlog_json_all_fields),
    TEST_CASE(modlog_json_absent_fields),
    TEST_CASE(modlog_json_escapes),
    TEST_CASE(modlog_json_invalid_utf8),
    TEST_CASE(modlog_json_panic_trace),
    TEST_CASE(modlog_json_truncation),
    TEST_CASE(modlog_levels),
    TEST_CASE(modlog_text_format),
    TEST_CASE(modlog_text_panic),
    TEST_CASE(modlog_text_rejects),
    TEST_CASE(modlog_injected_records),
    TEST_CASE(modlog_days_read_last_n),
    TEST_CASE(modlog_reopen_picks_up_files),
    TEST_CASE(modlog_torn_tail_cut_at_open),
    TEST_CASE(modlog_size_bound_evicts_oldest_days),
    TEST_CASE(modlog_size_bound_rotates_within_day),
    TEST_CASE(modlog_age_bound),
    TEST_CASE(modlog_memory_ring),
    TEST_CASE(modlog_wait_follows),
    TEST_CASE(modlog_wait_skips_evicted),
    TEST_CASE(modlog_subscribe),
    TEST_CASE(modlog_concurrent_appends),
    TEST_CASE(modlog_write_failure_keeps_records),
    TEST_CASE(modlog_alloc_failures),
    TEST_CASE(modlog_open_errors),
    TEST_END,
};
