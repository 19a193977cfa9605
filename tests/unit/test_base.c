/* Unit tests for src/base: errors, buffers, readers, arenas, hash map,
 * logging, clocks, randomness, fault injection. */
#include <stdlib.h>
#include <unistd.h>

#include "base/base.h"
#include "test.h"

TEST(err_set_and_prefix)
{
    lc_err_t err;
    lc_err_clear(&err);
    CHECK_EQ_INT(err.code, LC_OK);
    CHECK_EQ_INT(lc_err_set(&err, LC_ECORRUPT, "row is %d bytes", 3), LC_ECORRUPT);
    CHECK_EQ_STR(err.msg, "row is 3 bytes");
    CHECK_EQ_INT(lc_err_prefix(&err, "table %s", "user"), LC_ECORRUPT);
    CHECK_EQ_STR(err.msg, "table user: row is 3 bytes");
    CHECK_EQ_INT(lc_err_set(NULL, LC_EINVAL, "ignored"), LC_EINVAL);
    CHECK_EQ_STR(lc_strerror(LC_ENOTFOUND), "not found");
    CHECK_EQ_STR(lc_strerror(-999), "unknown error");
}

TEST(err_prefix_truncates_long_messages)
{
    lc_err_t err;
    char longmsg[LC_ERR_MSG_MAX + 100];
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = 0;
    lc_err_set(&err, LC_EINVAL, "%s", longmsg);
    CHECK_EQ_INT(strlen(err.msg), LC_ERR_MSG_MAX - 1);
    lc_err_prefix(&err, "context");
    CHECK_EQ_INT(strlen(err.msg), LC_ERR_MSG_MAX - 1);
    CHECK(strncmp(err.msg, "context: xxx", 12) == 0);
}

TEST(corrupt_macro_sets_code)
{
    lc_err_t err;
    CHECK_EQ_INT(LC_CORRUPT(&err, "bad tag %u", 9u), LC_ECORRUPT);
    CHECK_EQ_INT(err.code, LC_ECORRUPT);
    CHECK_EQ_STR(err.msg, "bad tag 9");
}

TEST(buf_append_printf_and_le)
{
    lc_buf_t b;
    lc_buf_init(&b);
    CHECK_OK(lc_buf_puts(&b, "ab"));
    CHECK_OK(lc_buf_putc(&b, 'c'));
    CHECK_OK(lc_buf_printf(&b, "-%d-", 42));
    CHECK_OK(lc_buf_put_u16le(&b, 0x0102));
    CHECK_OK(lc_buf_put_u32le(&b, 0x03040506));
    CHECK_OK(lc_buf_put_u64le(&b, 0x0708090a0b0c0d0eULL));
    const uint8_t want[] = {'a', 'b', 'c',  '-',  '4',  '2',  '-',  2, 1, 6, 5,
                            4,   3,   0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 9, 8, 7};
    CHECK_EQ_INT(b.len, sizeof want);
    CHECK_EQ_MEM(b.data, want, sizeof want);
    lc_buf_free(&b);
}

TEST(buf_grows_through_large_printf)
{
    lc_buf_t b = {0};
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    for (int i = 0; i < 10; i++) CHECK_OK(lc_buf_printf(&b, "%s%d", big, i));
    CHECK_EQ_INT(b.len, 10 * (sizeof big - 1 + 1));
    CHECK(b.cap >= b.len);
    CHECK_OK(lc_buf_terminate(&b));
    CHECK_EQ_INT(b.data[b.len], 0);
    CHECK_EQ_INT(b.data[sizeof big - 1], '0');
    size_t n;
    uint8_t *p = lc_buf_take(&b, &n);
    CHECK(b.data == NULL && b.len == 0);
    CHECK_EQ_INT(n, 10 * sizeof big);
    lc_free(p);
}

TEST(buf_failed_growth_leaves_buffer_intact)
{
    lc_buf_t b = {0};
    CHECK_OK(lc_buf_puts(&b, "keep"));
    lc_fault_alloc_after(1);
    char big[1000] = {0};
    CHECK_EQ_INT(lc_buf_append(&b, big, sizeof big), LC_ENOMEM);
    lc_fault_alloc_after(0);
    CHECK_EQ_INT(b.len, 4);
    CHECK_EQ_MEM(b.data, "keep", 4);
    lc_buf_free(&b);
}

TEST(buf_with_borrowed_memory_moves_to_heap)
{
    uint8_t small[8];
    lc_buf_t b;
    lc_buf_init_with(&b, small, sizeof small);
    CHECK_OK(lc_buf_puts(&b, "1234567"));
    CHECK(b.data == small);
    CHECK_OK(lc_buf_puts(&b, "89abcdef"));
    CHECK(b.data != small);
    CHECK_EQ_INT(b.len, 15);
    CHECK_EQ_MEM(b.data, "123456789abcdef", 15);
    lc_buf_free(&b);
    lc_buf_init_with(&b, small, sizeof small);
    CHECK_OK(lc_buf_puts(&b, "ab"));
    size_t n;
    uint8_t *p = lc_buf_take(&b, &n);
    CHECK(p != NULL && p != small && n == 2);
    lc_free(p);
    lc_buf_free(&b); /* borrowed, untouched: nothing to free */
}

TEST(grow_doubles_and_keeps_contents)
{
    uint64_t *v = NULL;
    uint32_t cap = 0;
    for (uint32_t n = 0; n < 1000; n++) {
        CHECK_OK(lc_grow(&v, &cap, n, sizeof *v, 4));
        CHECK(cap > n);
        v[n] = n * 3;
    }
    CHECK_EQ_INT(cap, 1024);
    for (uint32_t n = 0; n < 1000; n++) CHECK_EQ_INT(v[n], n * 3);
    lc_fault_alloc_after(1);
    uint32_t before = cap;
    int rc = lc_grow(&v, &cap, cap, sizeof *v, 4);
    lc_fault_alloc_after(0);
    CHECK_EQ_INT(rc, LC_ENOMEM);
    CHECK_EQ_INT(cap, before); /* untouched on failure */
    CHECK_EQ_INT(v[999], 2997);
    lc_free(v);
}

TEST(reader_bounds)
{
    const uint8_t bytes[] = {1, 2, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0};
    lc_rd_t r = lc_rd_make(bytes, sizeof bytes);
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    CHECK_OK(lc_rd_u8(&r, &u8));
    CHECK_EQ_INT(u8, 1);
    CHECK_OK(lc_rd_u16le(&r, &u16));
    CHECK_EQ_INT(u16, 2);
    CHECK_OK(lc_rd_u32le(&r, &u32));
    CHECK_EQ_INT(u32, 3);
    CHECK_OK(lc_rd_u64le(&r, &u64));
    CHECK_EQ_INT(u64, 4);
    CHECK_EQ_INT(r.len, 0);
    CHECK_EQ_INT(lc_rd_u8(&r, &u8), LC_ECORRUPT);
    lc_rd_t r2 = lc_rd_make(bytes, 3);
    CHECK_EQ_INT(lc_rd_u32le(&r2, &u32), LC_ECORRUPT);
    CHECK_EQ_INT(r2.len, 3); /* a failed read consumes nothing */
    const uint8_t *p;
    CHECK_EQ_INT(lc_rd_bytes(&r2, 4, &p), LC_ECORRUPT);
    CHECK_OK(lc_rd_bytes(&r2, 3, &p));
    CHECK(p == bytes);
}

TEST(arena_alignment_and_reuse)
{
    lc_arena_t a;
    lc_arena_init(&a, 256);
    for (int i = 1; i < 100; i++) {
        uint8_t *p = lc_arena_alloc(&a, (size_t)i);
        CHECK(p != NULL);
        CHECK(((uintptr_t)p & 15) == 0);
        memset(p, 0xab, (size_t)i);
    }
    void *big = lc_arena_alloc(&a, 100000);
    CHECK(big != NULL);
    memset(big, 1, 100000);
    char *s = lc_arena_printf(&a, "%s-%d", "row", 7);
    CHECK_EQ_STR(s, "row-7");
    CHECK_EQ_STR(lc_arena_strndup(&a, "abcdef", 3), "abc");
    uint8_t *z = lc_arena_zalloc(&a, 64);
    for (int i = 0; i < 64; i++) CHECK(z[i] == 0);
    lc_arena_reset(&a);
    CHECK_EQ_INT(a.total, 0);
    CHECK(lc_arena_alloc(&a, 10) != NULL);
    lc_arena_free(&a);
}

static void count_cleanup(void *arg)
{
    int *order = arg;
    order[0] = order[0] * 10 + order[1]--;
}

TEST(arena_cleanups_run_once_newest_first)
{
    lc_arena_t a;
    lc_arena_init(&a, 0);
    int order[2] = {0, 3};
    for (int i = 0; i < 3; i++) CHECK_OK(lc_arena_on_reset(&a, count_cleanup, order));
    lc_arena_reset(&a);
    CHECK_EQ_INT(order[0], 321); /* three calls, each recorded once */
    lc_arena_reset(&a);
    CHECK_EQ_INT(order[0], 321);
    lc_arena_free(&a);
}

TEST(arena_allocation_failure_is_reported)
{
    lc_arena_t a;
    lc_arena_init(&a, 64);
    lc_fault_alloc_after(1);
    CHECK(lc_arena_alloc(&a, 10) == NULL);
    lc_fault_alloc_after(0);
    CHECK(lc_arena_alloc(&a, 10) != NULL);
    lc_arena_free(&a);
}

TEST(hash_is_deterministic_per_seed)
{
    const char *s = "the quick brown fox jumps over the lazy dog";
    for (size_t n = 0; n <= strlen(s); n++) {
        CHECK(lc_hash_bytes(s, n, 1) == lc_hash_bytes(s, n, 1));
        if (n > 0)
            CHECK(lc_hash_bytes(s, n, 1) != lc_hash_bytes(s, n - 1, 1));
    }
    CHECK(lc_hash_bytes(s, 10, 1) != lc_hash_bytes(s, 10, 2));
}

/* Drive the map with random operations and compare against a plain array
 * model; exercises growth, probing and backward-shift deletion. */
TEST(map_matches_model_under_churn)
{
    enum { KEYS = 500 };
    static void *model[KEYS];
    memset(model, 0, sizeof model);
    lc_map_t m;
    lc_map_init(&m);
    unsigned seed = 12345;
    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245 + 12345;
        int k = (int)((seed >> 8) % KEYS);
        char key[16];
        int klen = snprintf(key, sizeof key, "k%d", k);
        if ((seed >> 4) % 3 == 0) {
            void *got = lc_map_del(&m, key, (size_t)klen);
            CHECK(got == model[k]);
            model[k] = NULL;
        } else {
            void *val = (void *)(uintptr_t)(step + 1);
            void *old;
            CHECK_OK(lc_map_put(&m, key, (size_t)klen, val, &old));
            CHECK(old == model[k]);
            model[k] = val;
        }
    }
    size_t live = 0;
    for (int k = 0; k < KEYS; k++) {
        char key[16];
        int klen = snprintf(key, sizeof key, "k%d", k);
        CHECK(lc_map_get(&m, key, (size_t)klen) == model[k]);
        live += model[k] != NULL;
    }
    CHECK_EQ_INT(lc_map_count(&m), live);
    size_t pos = 0, seen = 0;
    const void *key;
    size_t klen;
    void *val;
    while (lc_map_next(&m, &pos, &key, &klen, &val)) {
        CHECK(val != NULL);
        seen++;
    }
    CHECK_EQ_INT(seen, live);
    lc_map_free(&m);
}

TEST(map_string_u64_and_empty_keys)
{
    lc_map_t m;
    lc_map_init(&m);
    int a = 1, b = 2, c = 3;
    CHECK(lc_map_gets(&m, "x") == NULL);
    CHECK_OK(lc_map_puts(&m, "alpha", &a));
    CHECK_OK(lc_map_put_u64(&m, 77, &b));
    CHECK_OK(lc_map_put(&m, "", 0, &c, NULL));
    CHECK(lc_map_gets(&m, "alpha") == &a);
    CHECK(lc_map_get_u64(&m, 77) == &b);
    CHECK(lc_map_get(&m, "", 0) == &c);
    CHECK(lc_map_del_u64(&m, 77) == &b);
    CHECK(lc_map_get_u64(&m, 77) == NULL);
    CHECK_EQ_INT(lc_map_count(&m), 2);
    lc_map_free(&m);
}

TEST(map_put_failure_keeps_map_valid)
{
    lc_map_t m;
    lc_map_init(&m);
    int v = 1;
    CHECK_OK(lc_map_puts(&m, "a", &v));
    lc_fault_alloc_after(1);
    CHECK_EQ_INT(lc_map_puts(&m, "b", &v), LC_ENOMEM);
    lc_fault_alloc_after(0);
    CHECK(lc_map_gets(&m, "a") == &v);
    CHECK(lc_map_gets(&m, "b") == NULL);
    CHECK_EQ_INT(lc_map_count(&m), 1);
    lc_map_free(&m);
}

TEST(log_text_and_json_lines)
{
    lc_buf_t b = {0};
    int64_t t = 1767225600123456LL; /* 2026-01-01T00:00:00.123456Z */
    CHECK_OK(lc_log_format_line(&b, LC_LOG_TEXT, t, LC_LOG_INFO, "server ready"));
    CHECK_OK(lc_buf_terminate(&b));
    CHECK_EQ_STR((char *)b.data, "2026-01-01T00:00:00.123456Z INFO  server ready\n");
    lc_buf_reset(&b);
    CHECK_OK(lc_log_format_line(&b, LC_LOG_JSON, t, LC_LOG_WARN, "quote \" slash \\ nl\n\x01"));
    CHECK_OK(lc_buf_terminate(&b));
    CHECK_EQ_STR((char *)b.data, "{\"ts\":\"2026-01-01T00:00:00.123456Z\",\"level\":\"warn\","
                                 "\"msg\":\"quote \\\" slash \\\\ nl\\n\\u0001\"}\n");
    lc_buf_free(&b);
}

TEST(log_writes_to_fd_and_filters_by_level)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    lc_log_level_t old = lc_log_get_level();
    lc_log_set_fd(fds[1]);
    lc_log_set_level(LC_LOG_INFO);
    lc_log_debug("hidden %d", 1);
    lc_log_info("shown %d", 2);
    lc_log_set_fd(2);
    lc_log_set_level(old);
    close(fds[1]);
    char got[256] = {0};
    ssize_t n = read(fds[0], got, sizeof got - 1);
    close(fds[0]);
    CHECK(n > 0);
    CHECK(strstr(got, "shown 2") != NULL);
    CHECK(strstr(got, "hidden") == NULL);
    lc_log_level_t lvl;
    CHECK_OK(lc_log_level_parse("DEBUG", &lvl));
    CHECK_EQ_INT(lvl, LC_LOG_DEBUG);
    CHECK_EQ_INT(lc_log_level_parse("loud", &lvl), LC_EINVAL);
}

TEST(clocks_and_rfc3339)
{
    int64_t m1 = lc_now_mono_us(), m2 = lc_now_mono_us();
    CHECK(m2 >= m1);
    int64_t w = lc_now_wall_us();
    CHECK(w > 1700000000000000LL); /* after 2023: the clock is in microseconds */
    char s[28];
    lc_format_rfc3339(s, 0);
    CHECK_EQ_STR(s, "1970-01-01T00:00:00.000000Z");
    lc_format_rfc3339(s, -1);
    CHECK_EQ_STR(s, "1969-12-31T23:59:59.999999Z");
    lc_format_rfc3339(s, 1767225600000000LL);
    CHECK_EQ_STR(s, "2026-01-01T00:00:00.000000Z");
}

TEST(random_bytes_differ)
{
    uint8_t a[32], b[32];
    CHECK_OK(lc_random_bytes(a, sizeof a));
    CHECK_OK(lc_random_bytes(b, sizeof b));
    CHECK(memcmp(a, b, sizeof a) != 0);
}

TEST(fault_injection_counts_allocations)
{
    lc_fault_alloc_after(3);
    void *p1 = lc_malloc(8), *p2 = lc_malloc(8), *p3 = lc_malloc(8), *p4 = lc_malloc(8);
    lc_fault_alloc_after(0);
    CHECK(p1 && p2);
    CHECK(p3 == NULL && p4 == NULL);
    long live = lc_alloc_live();
    lc_free(p1);
    lc_free(p2);
    CHECK_EQ_INT(lc_alloc_live(), live - 2);
}

const test_case_t test_base_cases[] = {
    TEST_CASE(err_set_and_prefix),
    TEST_CASE(err_prefix_truncates_long_messages),
    TEST_CASE(corrupt_macro_sets_code),
    TEST_CASE(buf_append_printf_and_le),
    TEST_CASE(buf_grows_through_large_printf),
    TEST_CASE(buf_failed_growth_leaves_buffer_intact),
    TEST_CASE(buf_with_borrowed_memory_moves_to_heap),
    TEST_CASE(grow_doubles_and_keeps_contents),
    TEST_CASE(reader_bounds),
    TEST_CASE(arena_alignment_and_reuse),
    TEST_CASE(arena_cleanups_run_once_newest_first),
    TEST_CASE(arena_allocation_failure_is_reported),
    TEST_CASE(hash_is_deterministic_per_seed),
    TEST_CASE(map_matches_model_under_churn),
    TEST_CASE(map_string_u64_and_empty_keys),
    TEST_CASE(map_put_failure_keeps_map_valid),
    TEST_CASE(log_text_and_json_lines),
    TEST_CASE(log_writes_to_fd_and_filters_by_level),
    TEST_CASE(clocks_and_rfc3339),
    TEST_CASE(random_bytes_differ),
    TEST_CASE(fault_injection_counts_allocations),
    TEST_END,
};
