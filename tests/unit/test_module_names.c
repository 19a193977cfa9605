/*
 * Tests for src/module/names.c: case conversion exactly as Rust's
 * convert_case 0.6 `to_case` with default boundaries (the vectors below
 * follow its algorithm and the reference's own tests), and the identifier
 * rule.
 */
#include "module/mod_def.h"
#include "test.h"

typedef struct vec {
    const char *in, *out;
} vec_t;

static bool converts(mod_case_t to, const vec_t *v, size_t n)
{
    bool ok = true;
    lc_arena_t a;
    lc_arena_init(&a, 0);
    for (size_t i = 0; i < n; i++) {
        const char *got = mod_name_convert(&a, v[i].in, to);
        if (got == NULL || strcmp(got, v[i].out) != 0) {
            fprintf(stderr, "  case %d: \"%s\" -> \"%s\", expected \"%s\"\n", (int)to, v[i].in,
                    got ? got : "(null)", v[i].out);
            ok = false;
        }
    }
    lc_arena_free(&a);
    return ok;
}

TEST(snake_case)
{
    static const vec_t v[] = {
        {"AddPerson2", "add_person_2"},
        {"IOStream", "io_stream"},
        {"currentLevel2", "current_level_2"},
        {"person", "person"},
        {"Person", "person"},
        {"already_snake", "already_snake"},
        {"HTTPRequest", "http_request"},
        {"XMLHttpRequest", "xml_http_request"},
        {"scale2D", "scale_2_d"},
        {"TransformationsIn3D", "transformations_in_3_d"},
        {"Apple_name", "apple_name"},
        {"countFresh", "count_fresh"},
        {"__my  bad-_variable-", "my_bad_variable"},
        {"_private", "private"},
        {"trailing_", "trailing"},
        {"ABC", "abc"},
        {"ABCd", "ab_cd"},
        {"ABCDef", "abc_def"},
        {"a1b2c3", "a_1_b_2_c_3"},
        {"v2", "v_2"},
        {"u8_col", "u_8_col"},
        {"AB1", "ab_1"},
        {"1A", "1_a"},
        {"1a", "1_a"},
        {"Mixed123ABC", "mixed_123_abc"},
        {"MyVarName", "my_var_name"},
        {"my-var name", "my_var_name"},
        {"10,000 Days", "10,000_days"},
        {"FruitBasket", "fruit_basket"},
        {"deliveryRecord", "delivery_record"},
        {"BasketId", "basket_id"},
        {"ScheduledAt", "scheduled_at"},
        {"SeqId", "seq_id"},
        {"doDelivery", "do_delivery"},
        {"ProcessItem", "process_item"},
        {"PersonAtLevel2", "person_at_level_2"},
        {"A", "a"},
        {"aB", "a_b"},
        {"Ab", "ab"},
        {"lowerUpperUpper", "lower_upper_upper"},
        {"getTotalLength3D", "get_total_length_3_d"},
        {"snake_2_d", "snake_2_d"},
        {"", ""},
        {"_", ""},
        {"---", ""},
        {"a$b", "a$b"},
        {"UserID", "user_id"},
        {"userIDs", "user_i_ds"},
        {"GranatÄpfel", "granat_äpfel"},
        {"ÄpfelBaum", "äpfel_baum"},
        {"中文Name", "中文name"},
    };
    CHECK(converts(MOD_CASE_SNAKE, v, LC_ARRAY_LEN(v)));
}

TEST(camel_case_for_variants)
{
    static const vec_t v[] = {
        {"RedApple", "redApple"},
        {"GreenApple", "greenApple"},
        {"Gala", "gala"},
        {"GrannySmith", "grannySmith"},
        {"GRANNY_SMITH", "grannySmith"},
        {"red_delicious", "redDelicious"},
        {"Interval", "interval"},
        {"my_var_name", "myVarName"},
        {"IOStream", "ioStream"},
        {"v2", "v2"},
        {"scale2D", "scale2D"},
        {"already", "already"},
        {"", ""},
    };
    CHECK(converts(MOD_CASE_CAMEL, v, LC_ARRAY_LEN(v)));
}

TEST(pascal_case_for_types)
{
    static const vec_t v[] = {
        {"metaInfo", "MetaInfo"},
        {"myLib", "MyLib"},
        {"utils", "Utils"},
        {"FruitColor", "FruitColor"},
        {"my_type", "MyType"},
        {"HTTPRequest", "HttpRequest"},
        {"granat-äpfel", "GranatÄpfel"},
        {"a1", "A1"},
        {"ScheduleAt", "ScheduleAt"},
        {"deliveryRecord", "DeliveryRecord"},
    };
    CHECK(converts(MOD_CASE_PASCAL, v, LC_ARRAY_LEN(v)));
}

TEST(convert_into_a_buffer_appends)
{
    lc_buf_t b = {0};
    lc_buf_puts(&b, "x:");
    CHECK_OK(mod_name_convert_buf(&b, "OneTwo", MOD_CASE_SNAKE));
    lc_buf_terminate(&b);
    bool ok = strcmp((const char *)b.data, "x:one_two") == 0;
    lc_buf_free(&b);
    CHECK(ok);
}

TEST(identifiers)
{
    static const char *const good[] = {"a",     "_",    "_x1", "Person", "person_2",
                                       "añejo", "中文", "ßig", "Zz9_"};
    for (size_t i = 0; i < LC_ARRAY_LEN(good); i++)
        CHECK_MSG(mod_ident_problem(good[i]) == NULL, "\"%s\" refused: %s", good[i],
                  mod_ident_problem(good[i]));
    CHECK_EQ_STR(mod_ident_problem(""), "must not be empty");
    CHECK_EQ_STR(mod_ident_problem("1abc"), "must start with `_` or a letter");
    CHECK_EQ_STR(mod_ident_problem("-x"), "must start with `_` or a letter");
    CHECK_EQ_STR(mod_ident_problem("a-b"), "may contain only letters, digits and `_`");
    CHECK_EQ_STR(mod_ident_problem("a b"), "may contain only letters, digits and `_`");
    CHECK_EQ_STR(mod_ident_problem("a.b"), "may contain only letters, digits and `_`");
    CHECK_EQ_STR(mod_ident_problem("a$"), "may contain only letters, digits and `_`");
    /* Non-ASCII punctuation and symbols are refused too. */
    CHECK_EQ_STR(mod_ident_problem("a\xe2\x9d\xa4"), "may contain only letters, digits and `_`");
    CHECK_EQ_STR(mod_ident_problem("\xe2\x9d\xa4"), "must start with `_` or a letter");
}

const test_case_t test_module_names_cases[] = {
    TEST_CASE(snake_case),
    TEST_CASE(camel_case_for_variants),
    TEST_CASE(pascal_case_for_types),
    TEST_CASE(convert_into_a_buffer_appends),
    TEST_CASE(identifiers),
    TEST_END,
};
