/*
 * Tests for src/module/migrate.c: for each rule of module-abi.md §6.5, a
 * pair of definitions (one module with knobs turned) and the plan it gives
 * — allowed with its steps, or refused with its reasons — plus the
 * breaks-clients flag, the step order and the rendering.
 */
#include "mod_def_builder.h"
#include "module/mod_def.h"
#include "test.h"

/* What differs from the base module. */
typedef struct knobs {
    bool email, email_no_default; /* person gains `email: String` at the end */
    bool drop_age, reorder, age_u16, rename_variant, payload_variant;
    int status_variants; /* 0 means 2 */
    bool private_, no_pk, system, accessor_people, age_accessor;
    bool no_name_index, name_index_source, name_index_accessor, status_hash;
    bool no_seq, seq_start, unique_name;
    bool extra_table, no_old_table, event_flag, event_column;
    bool no_schedule, other_schedule, rls_change, no_view, view_reshape;
} knobs_t;

static mod_def_t *module(const knobs_t *k)
{
    mdb_t b;
    mdb_init(&b);
    lc_arena_t *a = &b.a;
    const sats_type_t *unit = sats_type_unit(), *str = sats_prim(SATS_STRING);
    int nv = k->status_variants ? k->status_variants : 2;
    const sats_type_t *status_t =
        nv == 1   ? SUM(a, 1, "Active", unit)
        : nv == 2 ? SUM(a, 2, "Active", unit, k->rename_variant ? "Blocked" : "Banned", unit)
                  : SUM(a, 3, "Active", unit, "Banned", unit, "Other",
                        k->payload_variant ? P(SATS_U64) : unit);
    uint32_t status = mdb_type(&b, "Status", status_t, true);
    const char *names[5] = {"id", "name", k->age_accessor ? "Age" : "age", "status", "email"};
    const sats_type_t *types[5] = {P(SATS_U64), str, P(k->age_u16 ? SATS_U16 : SATS_U8),
                                   sats_type_ref(a, status), str};
    if (k->reorder) {
        names[1] = "age";
        names[2] = "name";
        types[1] = P(SATS_U8);
        types[2] = str;
    }
    uint32_t ncols = k->email || k->email_no_default ? 5 : 4;
    if (k->drop_age) {
        memmove(&names[2], &names[3], 2 * sizeof *names);
        memmove(&types[2], &types[3], 2 * sizeof *types);
        ncols--;
    }
    uint32_t person = mdb_type(&b, "Person", sats_type_product(a, ncols, names, types), true);
    mt_table_t t = {.name = k->accessor_people ? "People" : "Person",
                    .ref = person,
                    .private_ = k->private_,
                    .system = k->system};
    if (!k->no_pk)
        t.npk = 1;
    t.idx[t.nidx++] = (mt_index_t){"person_id_idx_btree", NULL, 0, 1, {0}};
    t.uniq[t.nuniq++] = (mt_unique_t){1, {0}};
    if (!k->no_name_index)
        t.idx[t.nidx++] = (mt_index_t){k->name_index_source ? "byName" : "person_name_idx_btree",
                                       k->name_index_accessor ? "by_name" : NULL,
                                       0,
                                       1,
                                       {1}};
    uint16_t status_col = k->drop_age ? 2 : 3;
    t.idx[t.nidx++] = (mt_index_t){"person_status", NULL, k->status_hash ? 1 : 0, 1, {status_col}};
    if (k->unique_name)
        t.uniq[t.nuniq++] = (mt_unique_t){1, {1}};
    if (!k->no_seq)
        t.seq[t.nseq++] = (mt_seq_t){.col = 0, .has_start = k->seq_start, .start = 100};
    if (k->email)
        t.defs[t.ndefs++] = (mt_default_t){(uint16_t)(ncols - 1), "0400000068657265"};
    mdb_table(&b, &t);
    mdb_explicit(&b, 0, "People", "person");
    mdb_explicit(&b, 2, "person_status", "by_status");

    if (!k->no_old_table) {
        uint32_t old = mdb_type(&b, "OldStuff", ROW(&b, 1, "x", P(SATS_U32)), true);
        mdb_table(&b, &(mt_table_t){.name = "old_stuff", .ref = old});
    }
    if (k->extra_table) {
        uint32_t extra = mdb_type(&b, "Extra", ROW(&b, 1, "y", P(SATS_U32)), true);
        mdb_table(&b, &(mt_table_t){.name = "extra", .ref = extra});
    }
    uint32_t log = mdb_type(&b, "Log",
                            k->event_column ? ROW(&b, 2, "msg", str, "level", P(SATS_U8))
                                            : ROW(&b, 1, "msg", str),
                            true);
    mdb_table(&b, &(mt_table_t){.name = "log", .ref = log, .is_event = !k->event_flag});

    uint32_t ticker =
        mdb_type(&b, "Ticker", ROW(&b, 2, "id", P(SATS_U64), "at", sats_type_schedule_at()), true);
    mt_table_t tt = {.name = "ticker", .ref = ticker, .npk = 1, .nidx = 1, .nuniq = 1};
    tt.idx[0] = (mt_index_t){"ticker_id_idx_btree", NULL, 0, 1, {0}};
    tt.uniq[0] = (mt_unique_t){1, {0}};
    mdb_table(&b, &tt);
    mdb_reducer(&b, "add_person", ROW(&b, 1, "name", str), 1);
    mdb_reducer(&b, "tick", ROW(&b, 1, "t", sats_type_ref(a, ticker)), 1);
    mdb_reducer(&b, "tock", ROW(&b, 1, "t", sats_type_ref(a, ticker)), 1);
    if (!k->no_schedule)
        mdb_schedule(&b, "ticker", 1, k->other_schedule ? "tock" : "tick");
    mdb_rls(&b, "SELECT * FROM person WHERE age > 18");
    if (k->rls_change)
        mdb_rls(&b, "SELECT * FROM log");
    uint32_t summary = mdb_type(&b, "Summary", ROW(&b, 1, "count", P(SATS_U64)), true);
    if (!k->no_view) {
        uint32_t ret = k->view_reshape ? log : summary;
        mdb_view(&b, "everyone", 0, true, true, sats_type_unit(),
                 sats_type_array(a, sats_type_ref(a, ret)));
    }
    size_t len;
    uint8_t *bytes = mdb_finish(&b, &len);
    mod_def_t *d = NULL;
    lc_err_t err;
    if (mod_def_decode(bytes, len, &d, &err))
        fprintf(stderr, "  module does not decode: %s\n", err.msg);
    lc_free(bytes);
    return d;
}

typedef struct pair {
    mod_def_t *old, *new_;
    mod_migration_t *plan;
    char text[4096]; /* the rendering */
} pair_t;

static bool plan_for(pair_t *p, const knobs_t *old, const knobs_t *new_)
{
    memset(p, 0, sizeof *p);
    p->old = module(old);
    p->new_ = module(new_);
    lc_err_t err;
    if (p->old == NULL || p->new_ == NULL ||
        mod_def_plan_migration(p->old, p->new_, &p->plan, &err) != 0)
        return false;
    lc_buf_t b = {0};
    mod_migration_render(p->plan, &b);
    snprintf(p->text, sizeof p->text, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
    lc_buf_free(&b);
    return true;
}

static void pair_free(pair_t *p)
{
    mod_migration_free(p->plan);
    mod_def_free(p->old);
    mod_def_free(p->new_);
}

static const mod_step_t *find(const pair_t *p, mod_step_kind_t kind, const char *name)
{
    for (uint32_t i = 0; i < p->plan->nsteps; i++) {
        const mod_step_t *s = &p->plan->steps[i];
        if (s->kind == kind && (name == NULL || (s->name && strcmp(s->name, name) == 0) ||
                                (s->table && strcmp(s->table, name) == 0)))
            return s;
    }
    return NULL;
}

static bool has_reason(const pair_t *p, const char *want)
{
    for (uint32_t i = 0; i < p->plan->nreasons; i++)
        if (strstr(p->plan->reasons[i], want))
            return true;
    fprintf(stderr, "  no reason \"%s\"; plan:\n%s", want, p->text);
    return false;
}

static bool renders(const pair_t *p, const char *want)
{
    if (strstr(p->text, want))
        return true;
    fprintf(stderr, "  rendering lacks \"%s\":\n%s", want, p->text);
    return false;
}

/* Run body with a plan from old to new knobs; frees everything after. */
#define WITH_PLAN(p, old, new_, body)                                                              \
    do {                                                                                           \
        pair_t p;                                                                                  \
        bool built_ = plan_for(&p, (old), (new_));                                                 \
        bool ok_ = built_ && (body);                                                               \
        if (!ok_ && built_)                                                                        \
            fprintf(stderr, "  plan:\n%s", p.text);                                                \
        pair_free(&p);                                                                             \
        CHECK(ok_);                                                                                \
    } while (0)

static const knobs_t base = {0};

/* ---------------------------------------------------------------- allowed */

TEST(identical_modules_change_nothing)
{
    WITH_PLAN(p, &base, &base,
              !p.plan->refused && !p.plan->breaks_clients && p.plan->nsteps == 1 &&
                  find(&p, MOD_STEP_UPDATE_VIEW, "everyone") && p.text[0] == 0 &&
                  mod_migration_check(p.plan, NULL) == 0);
}

TEST(add_and_remove_tables)
{
    knobs_t n = {.extra_table = true, .no_old_table = true};
    WITH_PLAN(p, &base, &n,
              !p.plan->refused && p.plan->breaks_clients && find(&p, MOD_STEP_ADD_TABLE, "extra") &&
                  find(&p, MOD_STEP_REMOVE_TABLE, "old_stuff") &&
                  find(&p, MOD_STEP_REMOVE_TABLE, "old_stuff")->check_empty &&
                  find(&p, MOD_STEP_DISCONNECT_ALL, NULL) && renders(&p, "+ table `extra`\n") &&
                  renders(&p, "- table `old_stuff` (only if it holds no rows)\n") &&
                  renders(&p, "! all clients will be disconnected\n"));
    knobs_t add_only = {.extra_table = true};
    WITH_PLAN(p, &base, &add_only,
              !p.plan->refused && !p.plan->breaks_clients && p.plan->nsteps == 2);
}

static bool adds_email(const pair_t *p)
{
    const mod_step_t *s = find(p, MOD_STEP_ADD_COLUMNS, "person");
    return !p->plan->refused && p->plan->breaks_clients && s && s->first_col == 4 &&
           s->ncols == 1 && s->defaults_len == 8 && memcmp(s->defaults, "\x04\0\0\0here", 8) == 0 &&
           renders(p, "~ table `person`: add column `email`: String = \"here\"\n");
}

TEST(add_column_with_default)
{
    knobs_t n = {.email = true};
    WITH_PLAN(p, &base, &n, adds_email(&p));
}

TEST(sum_gaining_a_variant_at_the_end)
{
    knobs_t n = {.status_variants = 3};
    WITH_PLAN(p, &base, &n,
              !p.plan->refused && !p.plan->breaks_clients &&
                  find(&p, MOD_STEP_CHANGE_COLUMNS, "person") &&
                  renders(&p, "~ table `person`: change column types (same layout)\n"));
}

TEST(access_primary_key_accessors)
{
    knobs_t n = {.private_ = true, .no_pk = true, .accessor_people = true, .age_accessor = true};
    WITH_PLAN(p, &base, &n,
              !p.plan->refused && !p.plan->breaks_clients &&
                  find(&p, MOD_STEP_CHANGE_ACCESS, "person") &&
                  find(&p, MOD_STEP_CHANGE_PRIMARY_KEY, "person") &&
                  find(&p, MOD_STEP_CHANGE_TABLE_ACCESSOR, "person") &&
                  find(&p, MOD_STEP_CHANGE_COLUMN_ACCESSOR, "age") &&
                  renders(&p, "~ table `person`: public -> private\n") &&
                  renders(&p, "~ table `person`: primary key `id` -> `(none)`\n") &&
                  renders(&p, "~ table `person`: accessor `Person` -> `People`\n") &&
                  renders(&p, "~ table `person`: column `age`: accessor `age` -> `Age`\n"));
}

static bool rebuilds_status_index(const pair_t *p)
{
    const mod_step_t *r = find(p, MOD_STEP_REMOVE_INDEX, "by_status");
    const mod_step_t *a = find(p, MOD_STEP_ADD_INDEX, "by_status");
    return !p->plan->refused && r && a && r->rebuild && a->rebuild && r < a &&
           renders(p, "~ table `person`: rebuild index `by_status` (hash on `status`)\n");
}

TEST(indexes)
{
    knobs_t none = {.no_name_index = true};
    WITH_PLAN(p, &base, &none,
              !p.plan->refused && find(&p, MOD_STEP_REMOVE_INDEX, "person_name_idx_btree") &&
                  renders(&p, "~ table `person`: remove index `person_name_idx_btree`\n"));
    WITH_PLAN(p, &none, &base,
              !p.plan->refused && find(&p, MOD_STEP_ADD_INDEX, "person_name_idx_btree") &&
                  renders(&p, "~ table `person`: add index `person_name_idx_btree` (btree on "
                              "`name`)\n"));
    knobs_t src = {.name_index_source = true};
    WITH_PLAN(p, &base, &src,
              !p.plan->refused && find(&p, MOD_STEP_CHANGE_INDEX_SOURCE, "person_name_idx_btree") &&
                  renders(&p, "source name `person_name_idx_btree` -> `byName`"));
    /* An explicit name keeps the index when its algorithm changes: rebuilt. */
    knobs_t hash = {.status_hash = true};
    WITH_PLAN(p, &base, &hash, rebuilds_status_index(&p));
}

TEST(sequences_and_constraints)
{
    knobs_t noseq = {.no_seq = true};
    WITH_PLAN(p, &base, &noseq,
              !p.plan->refused && find(&p, MOD_STEP_REMOVE_SEQUENCE, "person_id_seq"));
    WITH_PLAN(p, &noseq, &base,
              !p.plan->refused && find(&p, MOD_STEP_ADD_SEQUENCE, "person_id_seq") &&
                  find(&p, MOD_STEP_ADD_SEQUENCE, "person_id_seq")->check_sequence &&
                  renders(&p, "add sequence `person_id_seq` on `id`"));
    knobs_t start = {.seq_start = true};
    WITH_PLAN(p, &base, &start,
              !p.plan->refused && find(&p, MOD_STEP_REMOVE_SEQUENCE, "person_id_seq") &&
                  find(&p, MOD_STEP_ADD_SEQUENCE, "person_id_seq"));
    knobs_t uniq = {.unique_name = true};
    WITH_PLAN(p, &base, &uniq,
              !p.plan->refused && find(&p, MOD_STEP_ADD_CONSTRAINT, "person_name_key") &&
                  renders(&p, "add unique constraint `person_name_key` on `name` (existing rows "
                              "are checked)"));
    WITH_PLAN(p, &uniq, &base,
              !p.plan->refused && find(&p, MOD_STEP_REMOVE_CONSTRAINT, "person_name_key"));
}

TEST(schedules)
{
    knobs_t none = {.no_schedule = true}, other = {.other_schedule = true};
    WITH_PLAN(p, &base, &none,
              !p.plan->refused && find(&p, MOD_STEP_REMOVE_SCHEDULE, "ticker_sched") &&
                  !find(&p, MOD_STEP_ADD_SCHEDULE, NULL));
    WITH_PLAN(p, &none, &base,
              !p.plan->refused && find(&p, MOD_STEP_ADD_SCHEDULE, "ticker_sched") &&
                  renders(&p, "add schedule `ticker_sched` calling `tick`"));
    WITH_PLAN(p, &base, &other,
              !p.plan->refused && find(&p, MOD_STEP_REMOVE_SCHEDULE, "ticker_sched") &&
                  find(&p, MOD_STEP_ADD_SCHEDULE, "ticker_sched"));
}

TEST(event_tables_change_freely_but_break_clients)
{
    knobs_t n = {.event_column = true};
    WITH_PLAN(p, &base, &n,
              !p.plan->refused && p.plan->breaks_clients &&
                  find(&p, MOD_STEP_RESCHEMA_EVENT_TABLE, "log") &&
                  renders(&p, "~ event table `log`: change columns\n"));
}

TEST(rls_and_views)
{
    knobs_t rls = {.rls_change = true};
    WITH_PLAN(p, &base, &rls,
              !p.plan->refused && !p.plan->breaks_clients &&
                  find(&p, MOD_STEP_REMOVE_RLS, "SELECT * FROM person WHERE age > 18") &&
                  find(&p, MOD_STEP_ADD_RLS, "SELECT * FROM log") &&
                  renders(&p, "+ row-level security `SELECT * FROM log`\n"));
    knobs_t noview = {.no_view = true}, reshape = {.view_reshape = true};
    WITH_PLAN(p, &base, &noview,
              !p.plan->refused && p.plan->breaks_clients &&
                  find(&p, MOD_STEP_REMOVE_VIEW, "everyone") && renders(&p, "- view `everyone`"));
    WITH_PLAN(p, &noview, &base,
              !p.plan->refused && !p.plan->breaks_clients &&
                  find(&p, MOD_STEP_ADD_VIEW, "everyone"));
    WITH_PLAN(p, &base, &reshape,
              !p.plan->refused && p.plan->breaks_clients &&
                  find(&p, MOD_STEP_REMOVE_VIEW, "everyone") &&
                  find(&p, MOD_STEP_ADD_VIEW, "everyone"));
}

static bool ordered(const pair_t *p)
{
    bool sorted = true;
    for (uint32_t i = 1; i < p->plan->nsteps; i++)
        sorted &= p->plan->steps[i - 1].kind <= p->plan->steps[i].kind;
    return sorted && !p->plan->refused &&
           p->plan->steps[p->plan->nsteps - 1].kind == MOD_STEP_DISCONNECT_ALL &&
           find(p, MOD_STEP_REMOVE_INDEX, NULL) < find(p, MOD_STEP_ADD_TABLE, NULL);
}

/* Removals come first, additions after, disconnect last. */
TEST(steps_are_ordered)
{
    knobs_t n = {.extra_table = true, .no_old_table = true, .no_name_index = true, .email = true};
    WITH_PLAN(p, &base, &n, ordered(&p));
}

/* ---------------------------------------------------------------- refused */

TEST(refused_column_changes)
{
    knobs_t drop = {.drop_age = true};
    WITH_PLAN(p, &base, &drop,
              p.plan->refused &&
                  has_reason(&p, "table `person`: removing column `age` requires a manual "
                                 "migration") &&
                  has_reason(&p, "table `person`: reordering columns requires a manual migration"));
    knobs_t nodef = {.email_no_default = true};
    WITH_PLAN(
        p, &base, &nodef,
        p.plan->refused &&
            has_reason(&p, "table `person`: adding column `email` requires a default value") &&
            !find(&p, MOD_STEP_ADD_COLUMNS, NULL));
    knobs_t reorder = {.reorder = true};
    WITH_PLAN(p, &base, &reorder,
              p.plan->refused && p.plan->nreasons == 1 && has_reason(&p, "reordering columns"));
    knobs_t widen = {.age_u16 = true};
    WITH_PLAN(p, &base, &widen,
              p.plan->refused && has_reason(&p, "table `person`: changing the type of column `age` "
                                                "from U8 to U16 requires a manual migration"));
}

TEST(refused_sum_changes)
{
    knobs_t renamed = {.rename_variant = true}, fewer = {.status_variants = 1};
    knobs_t payload = {.status_variants = 3, .payload_variant = true};
    WITH_PLAN(p, &base, &renamed,
              p.plan->refused && has_reason(&p, "with a renamed variant, requires a manual"));
    WITH_PLAN(p, &base, &fewer,
              p.plan->refused && has_reason(&p, "with fewer variants, requires a manual"));
    WITH_PLAN(p, &base, &payload,
              p.plan->refused && has_reason(&p, "due to a layout mismatch, requires a manual"));
}

TEST(refused_table_changes)
{
    knobs_t sys = {.system = true}, ev = {.event_flag = true}, acc = {.name_index_accessor = true};
    WITH_PLAN(p, &base, &sys,
              p.plan->refused &&
                  has_reason(&p, "table `person`: changing the table type from User to System"));
    WITH_PLAN(p, &base, &ev,
              p.plan->refused && has_reason(&p, "table `log`: changing the event flag requires"));
    WITH_PLAN(p, &base, &acc,
              p.plan->refused &&
                  has_reason(&p, "changing the accessor name of index `person_name_idx_btree` "
                                 "from `(none)` to `by_name` requires a manual migration"));
}

static bool refused_with_message(const pair_t *p)
{
    lc_err_t err;
    int rc = mod_migration_check(p->plan, &err);
    return p->plan->refused && p->plan->nreasons >= 4 && rc == LC_EINVAL &&
           strncmp(err.msg, "automatic migration is not possible:\n", 37) == 0 &&
           strstr(err.msg, "event flag") && renders(p, "x table `person`: removing column `age`");
}

TEST(all_reasons_reported_and_checked)
{
    knobs_t n = {.drop_age = true,
                 .system = true,
                 .event_flag = true,
                 .rename_variant = true,
                 .name_index_accessor = true};
    WITH_PLAN(p, &base, &n, refused_with_message(&p));
}

/* Every allocation of planning may fail: a clean LC_ENOMEM, nothing leaked. */
TEST(failing_allocations)
{
    knobs_t n = {.email = true,
                 .extra_table = true,
                 .no_old_table = true,
                 .no_seq = true,
                 .rls_change = true,
                 .drop_age = true};
    mod_def_t *old = module(&base), *new_ = module(&n);
    bool ok = old && new_, done = false;
    for (long k = 1; ok && !done && k < 10000; k++) {
        mod_migration_t *plan = NULL;
        lc_fault_alloc_after(k);
        int rc = mod_def_plan_migration(old, new_, &plan, NULL);
        lc_fault_alloc_after(0);
        ok = (rc == 0 && plan != NULL) || (rc == LC_ENOMEM && plan == NULL);
        done = rc == 0;
        mod_migration_free(plan);
    }
    mod_def_free(old);
    mod_def_free(new_);
    CHECK(ok && done);
}

const test_case_t test_module_migrate_cases[] = {
    TEST_CASE(identical_modules_change_nothing),
    TEST_CASE(add_and_remove_tables),
    TEST_CASE(add_column_with_default),
    TEST_CASE(sum_gaining_a_variant_at_the_end),
    TEST_CASE(access_primary_key_accessors),
    TEST_CASE(indexes),
    TEST_CASE(sequences_and_constraints),
    TEST_CASE(schedules),
    TEST_CASE(event_tables_change_freely_but_break_clients),
    TEST_CASE(rls_and_views),
    TEST_CASE(steps_are_ordered),
    TEST_CASE(refused_column_changes),
    TEST_CASE(refused_sum_changes),
    TEST_CASE(refused_table_changes),
    TEST_CASE(all_reasons_reported_and_checked),
    TEST_CASE(failing_allocations),
    TEST_END,
};
