/* test_options.c: option tables: types, units, ranges, defaults, nested
 * names, required options, unknown keys with suggestions, secrets. */
#include "check_main.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

typedef struct {
    char *path;
    int64_t workers;
    uint64_t max_bytes;
    int64_t max_age;
    int64_t max_events;
    bool fsync;
    int mode;
    sl_strlist paths;
    sl_strmap headers;
    char *secret;
    const sl_node *raw;
} test_cfg;

static const char *const modes[] = {"fast", "safe", NULL};

#define O(f) offsetof(test_cfg, f)
static const sl_option table[] = {
    {"path", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(path), "p"},
    {"workers", SL_OPT_INT, "auto", SL_OPTF_AUTO, 1, 64, NULL, O(workers), "w"},
    {"batch.max_bytes", SL_OPT_SIZE, "1MiB", 0, 1024, 1LL << 30, NULL, O(max_bytes), "b"},
    {"batch.max_age", SL_OPT_DURATION, "1s", 0, 0, 3600000000000LL, NULL, O(max_age), "a"},
    {"batch.max_events", SL_OPT_INT, "100", 0, 1, 1000, NULL, O(max_events), "e"},
    {"fsync", SL_OPT_BOOL, "false", 0, 0, 0, NULL, O(fsync), "f"},
    {"mode", SL_OPT_ENUM, "safe", 0, 0, 0, modes, O(mode), "m"},
    {"paths", SL_OPT_STRLIST, NULL, 0, 0, 0, NULL, O(paths), "ps"},
    {"headers", SL_OPT_STRMAP, NULL, 0, 0, 0, NULL, O(headers), "h"},
    {"secret_key", SL_OPT_STRING, NULL, SL_OPTF_SECRET, 0, 0, NULL, O(secret), "s"},
    {"raw", SL_OPT_NODE, NULL, 0, 0, 0, NULL, O(raw), "r"},
    SL_OPT_END,
};

static sl_diags d;
static sl_doc *doc;
static test_cfg cfg;

static size_t apply(const char *yaml)
{
    sl_optset set = {table, &cfg};
    sl_options_free(&set, 1);
    memset(&cfg, 0, sizeof cfg);
    sl_doc_free(doc);
    sl_diags_free(&d);
    doc = sl_doc_load_buffer("t.yaml", yaml, strlen(yaml), &d);
    ck_assert_ptr_nonnull(doc);
    return sl_options_apply(&set, 1, doc->root, NULL, "thing \"x\"", NULL, &d);
}

static const char *first_diag(void) { return d.n ? d.v[0].text : ""; }

static void teardown(void)
{
    sl_optset set = {table, &cfg};
    sl_options_free(&set, 1);
    memset(&cfg, 0, sizeof cfg);
    sl_doc_free(doc);
    doc = NULL;
    sl_diags_free(&d);
}

START_TEST(values_and_defaults)
{
    ck_assert_uint_eq(apply("path: /x\nbatch: { max_bytes: 64KiB }\nfsync: yes\n"
                            "paths: [a, b]\nheaders: { A: '1', B: two }\nraw: [1]\n"), 0);
    ck_assert_str_eq(cfg.path, "/x");
    ck_assert_int_eq(cfg.workers, 0);                 /* auto */
    ck_assert_uint_eq(cfg.max_bytes, 65536);
    ck_assert_int_eq(cfg.max_age, 1000000000);        /* default 1s */
    ck_assert_int_eq(cfg.max_events, 100);
    ck_assert(cfg.fsync);
    ck_assert_int_eq(cfg.mode, 1);                    /* default safe */
    ck_assert_uint_eq(cfg.paths.n, 2);
    ck_assert_str_eq(cfg.paths.v[1], "b");
    ck_assert_uint_eq(cfg.headers.n, 2);
    ck_assert_str_eq(cfg.headers.keys[1], "B");
    ck_assert_str_eq(cfg.headers.vals[1], "two");
    ck_assert_int_eq(cfg.raw->kind, SL_NODE_SEQ);
}
END_TEST

START_TEST(single_string_is_a_list_of_one)
{
    ck_assert_uint_eq(apply("path: /x\npaths: /var/log/*.log\n"), 0);
    ck_assert_uint_eq(cfg.paths.n, 1);
    ck_assert_str_eq(cfg.paths.v[0], "/var/log/*.log");
}
END_TEST

START_TEST(missing_required)
{
    ck_assert_uint_eq(apply("workers: 2\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:1:1: error: thing \"x\": missing required option \"path\"");
}
END_TEST

START_TEST(unknown_options_with_suggestions)
{
    ck_assert_uint_eq(apply("path: /x\npaht: 1\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:1: error: thing \"x\": unknown option \"paht\" (did you mean \"path\"?)");
    ck_assert_uint_eq(apply("path: /x\nbatch:\n  max_byts: 1\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:3:3: error: thing \"x\": unknown option \"batch.max_byts\" (did you mean \"batch.max_bytes\"?)");
    /* a nested option written at the top level */
    ck_assert_uint_eq(apply("path: /x\nmax_age: 1s\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:1: error: thing \"x\": unknown option \"max_age\" (did you mean \"batch.max_age\"?)");
    ck_assert_uint_eq(apply("path: /x\ncompletely_else: 1\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:1: error: thing \"x\": unknown option \"completely_else\"");
    ck_assert_uint_eq(apply("path: /x\nbatch: 5\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:8: error: thing \"x\": option \"batch\" must be a map (batch: { ... }), not a string");
}
END_TEST

START_TEST(type_errors)
{
    ck_assert_uint_eq(apply("path: /x\nworkers: many\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:10: error: thing \"x\": option \"workers\" must be an integer, not \"many\"");
    ck_assert_uint_eq(apply("path: /x\nfsync: maybe\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:8: error: thing \"x\": option \"fsync\" must be true or false, not \"maybe\"");
    ck_assert_uint_eq(apply("path: [a]\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:1:7: error: thing \"x\": option \"path\" must be a string, not a list");
    ck_assert_uint_eq(apply("path:\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:1:6: error: thing \"x\": option \"path\" must be a string, not empty");
    ck_assert_uint_eq(apply("path: /x\nbatch: { max_age: soon }\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:19: error: thing \"x\": option \"batch.max_age\" must be a duration such as 500ms or 5m, not \"soon\"");
    ck_assert_uint_eq(apply("path: /x\npaths: [a, {b: c}]\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:12: error: thing \"x\": option \"paths\" must be a list of strings, but item 2 is a map");
    ck_assert_uint_eq(apply("path: /x\nmode: fats\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:7: error: thing \"x\": option \"mode\" must be one of: fast, safe (got \"fats\"; did you mean \"fast\"?)");
    ck_assert_uint_eq(apply("path: /x\nmode: turbo\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:7: error: thing \"x\": option \"mode\" must be one of: fast, safe (got \"turbo\")");
    ck_assert_uint_eq(apply("- a\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:1:1: error: thing \"x\": options must be a map, not a list");
}
END_TEST

START_TEST(range_errors_speak_in_units)
{
    ck_assert_uint_eq(apply("path: /x\nworkers: 0\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:10: error: thing \"x\": option \"workers\" must be between 1 and 64 (got 0)");
    ck_assert_uint_eq(apply("path: /x\nbatch: { max_bytes: 2GiB }\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:21: error: thing \"x\": option \"batch.max_bytes\" must be between 1KiB and 1GiB (got 2GiB)");
    ck_assert_uint_eq(apply("path: /x\nbatch: { max_age: 2h }\n"), 1);
    ck_assert_str_eq(first_diag(), "t.yaml:2:19: error: thing \"x\": option \"batch.max_age\" must be between 0 and 1h (got 2h)");
}
END_TEST

START_TEST(secrets_are_never_echoed)
{
    ck_assert_uint_eq(apply("path: /x\nsecret_key: [hunter2]\n"), 1);
    ck_assert_ptr_null(strstr(first_diag(), "hunter2"));
    ck_assert_uint_eq(apply("path: /x\nsecret_key: hunter2\n"), 0);
    ck_assert_str_eq(cfg.secret, "hunter2");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sl_options_print_help(f, table);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "secret_key"));
    ck_assert_ptr_nonnull(strstr(text, "batch.max_bytes      size      default 1MiB; 1KiB..1GiB"));
    free(text);
}
END_TEST

typedef struct {
    const char *text;
    bool ok;
    uint64_t value;
} size_case;

START_TEST(size_units)
{
    static const size_case cases[] = {
        {"0", true, 0}, {"512", true, 512}, {"512B", true, 512}, {"64KiB", true, 65536},
        {"64k", true, 65536}, {"10kB", true, 10000}, {"10KB", true, 10000},
        {"1.5MiB", true, 1572864}, {"2 GiB", true, 2147483648ULL}, {"1GB", true, 1000000000},
        {"1TiB", true, 1099511627776ULL}, {"16EiB", false, 0}, {"99999999999TB", false, 0},
        {"", false, 0}, {"MiB", false, 0}, {"-1", false, 0}, {"1.5", false, 0},
        {"64 potatoes", false, 0}, {"64mib", false, 0}, {"1..5MiB", false, 0},
        {"64  MiB", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        bool ok = sl_parse_size(cases[i].text, &v);
        ck_assert_msg(ok == cases[i].ok, "size \"%s\"", cases[i].text);
        if (ok)
            ck_assert_msg(v == cases[i].value, "size \"%s\" = %llu", cases[i].text,
                          (unsigned long long)v);
        else
            ck_assert_uint_eq(v, 12345);
    }
}
END_TEST

typedef struct {
    const char *text;
    bool ok;
    int64_t ns;
} dur_case;

START_TEST(duration_units)
{
    static const dur_case cases[] = {
        {"0", true, 0}, {"250ms", true, 250000000}, {"5s", true, 5000000000LL},
        {"5m", true, 300000000000LL}, {"1m30s", true, 90000000000LL}, {"2h", true, 7200000000000LL},
        {"1d", true, 86400000000000LL}, {"1.5s", true, 1500000000}, {"10us", true, 10000},
        {"10\xc2\xb5s", true, 10000}, {"7ns", true, 7}, {"", false, 0}, {"5", false, 0},
        {"soon", false, 0}, {"5 s", false, 0}, {"-5s", false, 0}, {"5x", false, 0},
        {"999999999999d", false, 0}, {"1h-", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 777;
        bool ok = sl_parse_duration(cases[i].text, &v);
        ck_assert_msg(ok == cases[i].ok, "duration \"%s\"", cases[i].text);
        if (ok)
            ck_assert_msg(v == cases[i].ns, "duration \"%s\" = %lld", cases[i].text, (long long)v);
        else
            ck_assert_int_eq(v, 777);
    }
}
END_TEST

START_TEST(ints_bools_and_formatting)
{
    int64_t i;
    ck_assert(sl_parse_int("-42", &i) && i == -42);
    ck_assert(sl_parse_int("9223372036854775807", &i) && i == INT64_MAX);
    ck_assert(!sl_parse_int("9223372036854775808", &i));
    ck_assert(!sl_parse_int("12abc", &i));
    ck_assert(!sl_parse_int(" 1", &i));
    ck_assert(!sl_parse_int("", &i));
    bool b;
    ck_assert(sl_parse_bool("Yes", &b) && b);
    ck_assert(sl_parse_bool("off", &b) && !b);
    ck_assert(!sl_parse_bool("1", &b));
    char buf[32];
    sl_format_duration(300000000000LL, buf, sizeof buf);
    ck_assert_str_eq(buf, "5m");
    sl_format_duration(250000000, buf, sizeof buf);
    ck_assert_str_eq(buf, "250ms");
    sl_format_duration(0, buf, sizeof buf);
    ck_assert_str_eq(buf, "0");
    sl_format_duration(90000000000LL, buf, sizeof buf);
    ck_assert_str_eq(buf, "90s");
    sl_format_size(64 << 20, buf, sizeof buf);
    ck_assert_str_eq(buf, "64MiB");
    sl_format_size(1500, buf, sizeof buf);
    ck_assert_str_eq(buf, "1500");
}
END_TEST

START_TEST(did_you_mean)
{
    static const char *const c[] = {"bucket", "region", "endpoint", "path_style"};
    ck_assert_str_eq(sl_did_you_mean("bukcet", c, 4), "bucket");      /* transposition */
    ck_assert_str_eq(sl_did_you_mean("Region", c, 4), "region");      /* case */
    ck_assert_str_eq(sl_did_you_mean("endpont", c, 4), "endpoint");
    ck_assert_ptr_null(sl_did_you_mean("zzz", c, 4));
    ck_assert_ptr_null(sl_did_you_mean("b", c, 4));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, values_and_defaults);
    tcase_add_test(tc, single_string_is_a_list_of_one);
    tcase_add_test(tc, missing_required);
    tcase_add_test(tc, unknown_options_with_suggestions);
    tcase_add_test(tc, type_errors);
    tcase_add_test(tc, range_errors_speak_in_units);
    tcase_add_test(tc, secrets_are_never_echoed);
    tcase_add_test(tc, size_units);
    tcase_add_test(tc, duration_units);
    tcase_add_test(tc, ints_bools_and_formatting);
    tcase_add_test(tc, did_you_mean);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
