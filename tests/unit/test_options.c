/* test_options.c: option tables (types, units, ranges, defaults, nested
 * names, required options, unknown keys with suggestions, secrets, help and
 * man output), the unit parsers and formatters, and did-you-mean. */
#include "check_main.h"
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"

typedef struct {
    char *path;
    int64_t workers;
    uint64_t max_bytes;
    int64_t max_age;
    int64_t max_events;
    int64_t deep;
    bool fsync;
    int mode;
    sl_strlist paths;
    sl_strlist tags;
    sl_strmap headers;
    char *secret;
    int64_t pin;
    int cipher;
    const sl_node *raw;
    char *label;
    int64_t offset;
} test_cfg;

static const char *const modes[] = {"fast", "safe", NULL};
static const char *const ciphers[] = {"aes", "chacha", NULL};

#define MIN_NS INT64_C(60000000000)
#define HOUR_NS INT64_C(3600000000000)

#define O(f) offsetof(test_cfg, f)
static const sl_option table[] = {
    {"path", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(path), "Where to write."},
    {"workers", SL_OPT_INT, "auto", SL_OPTF_AUTO, 1, 64, NULL, O(workers), "Threads."},
    {"batch.max_bytes", SL_OPT_SIZE, "1MiB", 0, 1024, INT64_C(1) << 30, NULL, O(max_bytes),
     "Largest batch."},
    {"batch.max_age", SL_OPT_DURATION, "1s", 0, 0, HOUR_NS, NULL, O(max_age), "Oldest batch."},
    {"batch.max_events", SL_OPT_INT, "100", 0, 1, 1000, NULL, O(max_events), "Most events."},
    {"a.b.c", SL_OPT_INT, NULL, 0, 0, 0, NULL, O(deep), "Deeply nested."},
    {"fsync", SL_OPT_BOOL, "false", 0, 0, 0, NULL, O(fsync), "Sync."},
    {"mode", SL_OPT_ENUM, "safe", 0, 0, 0, modes, O(mode), "Mode."},
    {"paths", SL_OPT_STRLIST, NULL, 0, 0, 0, NULL, O(paths), "Paths."},
    {"tags", SL_OPT_STRLIST, "default-tag", 0, 0, 0, NULL, O(tags), "Tags."},
    {"headers", SL_OPT_STRMAP, NULL, 0, 0, 0, NULL, O(headers), "Headers."},
    {"secret_key", SL_OPT_STRING, "s3cr3t-default", SL_OPTF_SECRET, 0, 0, NULL, O(secret),
     "Key."},
    {"pin", SL_OPT_INT, NULL, SL_OPTF_SECRET, 1000, 9999, NULL, O(pin), "PIN."},
    {"cipher", SL_OPT_ENUM, "aes", SL_OPTF_SECRET, 0, 0, ciphers, O(cipher), "Cipher."},
    {"raw", SL_OPT_NODE, NULL, 0, 0, 0, NULL, O(raw), "Raw."},
    {"label", SL_OPT_STRING, "", 0, 0, 0, NULL, O(label), "Label."},
    {"offset", SL_OPT_INT, "-5", 0, -10, 10, NULL, O(offset), "Offset."},
    SL_OPT_END,
};

/* A second table applied together with the first (like the options every
 * destination has plus the plugin's own). */
typedef struct {
    int64_t retries;
    char *endpoint;
} extra_cfg;

static const sl_option extra_table[] = {
    {"retries", SL_OPT_INT, "3", 0, 0, 10, NULL, offsetof(extra_cfg, retries), "Retries."},
    {"endpoint", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL,
     offsetof(extra_cfg, endpoint), "Endpoint."},
    SL_OPT_END,
};

/* State of the test running now (Check runs tests one at a time). */
static sl_diags d;
static sl_doc *doc;
static test_cfg cfg;
static extra_cfg extra;

static void reset(void)
{
    sl_optset sets[2] = {{table, &cfg}, {extra_table, &extra}};
    sl_options_free(sets, 2);
    memset(&cfg, 0, sizeof cfg);
    memset(&extra, 0, sizeof extra);
    sl_doc_free(doc);
    doc = NULL;
    sl_diags_free(&d);
}

static void teardown(void) { reset(); }

static const sl_node *parse(const char *yaml)
{
    reset();
    doc = sl_doc_load_buffer("t.yaml", yaml, strlen(yaml), &d);
    ck_assert_msg(doc != NULL, "YAML did not load: %s", d.n ? d.v[0].text : "");
    return doc->root;
}

/* Apply the main table to `yaml`; returns the error count. */
static size_t apply(const char *yaml)
{
    const sl_node *root = parse(yaml);
    sl_optset set = {table, &cfg};
    size_t errors = sl_options_apply(&set, 1, root, NULL, "thing \"x\"", NULL, &d);
    ck_assert_uint_eq(errors, d.errors);
    return errors;
}

/* All diagnostics, one per line. */
static char *all_diags(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sl_diags_print(&d, f);
    fclose(f);
    return text;
}

/* Apply `yaml` and check it gives exactly the diagnostics `want`. */
static void expect(const char *yaml, const char *want)
{
    apply(yaml);
    char *got = all_diags();
    ck_assert_str_eq(got, want);
    free(got);
}

#define E(line_col, msg) "t.yaml:" line_col ": error: thing \"x\": " msg "\n"

/* ---- values, defaults, nesting -------------------------------------------- */

START_TEST(values_of_every_type)
{
    ck_assert_uint_eq(apply("path: /x\n"
                            "workers: 8\n"
                            "batch: { max_bytes: 64KiB, max_age: 1m30s, max_events: 5 }\n"
                            "a: { b: { c: -3 } }\n"
                            "fsync: yes\n"
                            "mode: fast\n"
                            "paths: [a, 'b c']\n"
                            "tags: []\n"
                            "headers: { A: '1', B: two }\n"
                            "secret_key: hunter2\n"
                            "pin: 1234\n"
                            "cipher: chacha\n"
                            "raw: [1, {x: y}]\n"
                            "label: \"\"\n"
                            "offset: +7\n"),
                      0);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_str_eq(cfg.path, "/x");
    ck_assert_int_eq(cfg.workers, 8);
    ck_assert_uint_eq(cfg.max_bytes, 65536);
    ck_assert_int_eq(cfg.max_age, 90 * INT64_C(1000000000));
    ck_assert_int_eq(cfg.max_events, 5);
    ck_assert_int_eq(cfg.deep, -3);
    ck_assert(cfg.fsync);
    ck_assert_int_eq(cfg.mode, 0);
    ck_assert_uint_eq(cfg.paths.n, 2);
    ck_assert_str_eq(cfg.paths.v[0], "a");
    ck_assert_str_eq(cfg.paths.v[1], "b c");
    ck_assert_uint_eq(cfg.tags.n, 0);                 /* given empty: not the default */
    ck_assert_uint_eq(cfg.headers.n, 2);
    ck_assert_str_eq(cfg.headers.keys[0], "A");
    ck_assert_str_eq(cfg.headers.vals[0], "1");
    ck_assert_str_eq(cfg.headers.keys[1], "B");
    ck_assert_str_eq(cfg.headers.vals[1], "two");
    ck_assert_str_eq(cfg.secret, "hunter2");
    ck_assert_int_eq(cfg.pin, 1234);
    ck_assert_int_eq(cfg.cipher, 1);
    ck_assert_ptr_nonnull(cfg.raw);
    ck_assert_int_eq(cfg.raw->kind, SL_NODE_SEQ);
    ck_assert_ptr_eq(cfg.raw, sl_node_get(doc->root, "raw"));
    ck_assert_str_eq(cfg.label, "");
    ck_assert_int_eq(cfg.offset, 7);
}
END_TEST

START_TEST(defaults_apply)
{
    ck_assert_uint_eq(apply("path: /x\n"), 0);
    ck_assert_int_eq(cfg.workers, 0);                 /* auto */
    ck_assert_uint_eq(cfg.max_bytes, 1048576);
    ck_assert_int_eq(cfg.max_age, 1000000000);
    ck_assert_int_eq(cfg.max_events, 100);
    ck_assert(!cfg.fsync);
    ck_assert_int_eq(cfg.mode, 1);                    /* safe */
    ck_assert_uint_eq(cfg.tags.n, 1);
    ck_assert_str_eq(cfg.tags.v[0], "default-tag");
    ck_assert_str_eq(cfg.secret, "s3cr3t-default");
    ck_assert_int_eq(cfg.cipher, 0);
    ck_assert_str_eq(cfg.label, "");
    ck_assert_int_eq(cfg.offset, -5);
}
END_TEST

START_TEST(absent_without_default_is_zero)
{
    /* whatever the struct held before, absent options are zero or empty */
    const sl_node *root = parse("path: /x\n");
    memset(&cfg, 0x5a, sizeof cfg);
    sl_optset set = {table, &cfg};
    ck_assert_uint_eq(sl_options_apply(&set, 1, root, NULL, "x", NULL, &d), 0);
    ck_assert_str_eq(cfg.path, "/x");
    ck_assert_int_eq(cfg.deep, 0);
    ck_assert_int_eq(cfg.pin, 0);
    ck_assert_ptr_null(cfg.paths.v);
    ck_assert_uint_eq(cfg.paths.n, 0);
    ck_assert_ptr_null(cfg.headers.keys);
    ck_assert_ptr_null(cfg.headers.vals);
    ck_assert_uint_eq(cfg.headers.n, 0);
    ck_assert_ptr_null(cfg.raw);
    /* and the bool and enum defaults overwrite too */
    ck_assert(!cfg.fsync);
    ck_assert_int_eq(cfg.mode, 1);
}
END_TEST

START_TEST(nested_options)
{
    /* a dotted name is a nested map; a literal dotted key works too */
    ck_assert_uint_eq(apply("path: /x\nbatch:\n  max_events: 7\na:\n  b:\n    c: 9\n"), 0);
    ck_assert_int_eq(cfg.max_events, 7);
    ck_assert_int_eq(cfg.deep, 9);
    ck_assert_uint_eq(apply("path: /x\nbatch.max_events: 8\na: { b.c: 4 }\n"), 0);
    ck_assert_int_eq(cfg.max_events, 8);
    ck_assert_int_eq(cfg.deep, 4);
    /* an empty group (everything in it commented out) is no options */
    ck_assert_uint_eq(apply("path: /x\nbatch:\n  # max_events: 1\n"), 0);
    ck_assert_int_eq(cfg.max_events, 100);
    /* the same option twice, once per spelling */
    expect("path: /x\nbatch: { max_events: 5 }\nbatch.max_events: 6\n",
           E("3:1", "option \"batch.max_events\" is given twice (first at line 2)"));
    ck_assert_int_eq(cfg.max_events, 5);
    /* a group that is not a map */
    expect("path: /x\nbatch: 5\n",
           E("2:8", "\"batch\" must be a map of options (batch: { max_bytes: ... }), not a string"));
    expect("path: /x\na: { b: [1] }\n",
           E("2:9", "\"a.b\" must be a map of options (b: { c: ... }), not a list"));
}
END_TEST

START_TEST(several_tables_and_ignored_keys)
{
    const sl_node *root = parse("type: file\npath: /x\nretries: 5\nendpoint: http://e\n");
    sl_optset sets[2] = {{table, &cfg}, {extra_table, &extra}};
    static const char *const ignore[] = {"type", NULL};
    ck_assert_uint_eq(sl_options_apply(sets, 2, root, NULL, "thing \"x\"", ignore, &d), 0);
    ck_assert_str_eq(cfg.path, "/x");
    ck_assert_int_eq(extra.retries, 5);
    ck_assert_str_eq(extra.endpoint, "http://e");
    ck_assert_uint_eq(d.n, 0);

    /* without the ignore list, "type" is unknown; suggestions come from
     * every table, and from the ignored keys */
    root = parse("type: file\npath: /x\nretires: 5\nendpoint: e\n");
    sl_optset again[2] = {{table, &cfg}, {extra_table, &extra}};
    ck_assert_uint_eq(sl_options_apply(again, 2, root, NULL, "thing \"x\"", NULL, &d), 2);
    char *got = all_diags();
    ck_assert_str_eq(got, E("1:1", "unknown option \"type\"")
                          E("3:1", "unknown option \"retires\" (did you mean \"retries\"?)"));
    free(got);

    root = parse("tpye: file\npath: /x\nendpoint: e\nbatch: { type: x }\n");
    sl_optset third[2] = {{table, &cfg}, {extra_table, &extra}};
    ck_assert_uint_eq(sl_options_apply(third, 2, root, NULL, "thing \"x\"", ignore, &d), 2);
    got = all_diags();
    ck_assert_str_eq(got, E("1:1", "unknown option \"tpye\" (did you mean \"type\"?)")
                          E("4:10", "unknown option \"batch.type\""));
    free(got);
}
END_TEST

START_TEST(null_or_absent_map_means_defaults)
{
    /* `thing:` with nothing after it: no options given */
    const sl_node *root = parse("thing:\n");
    sl_optset set = {extra_table, &extra};
    ck_assert_uint_eq(sl_options_apply(&set, 1, root->vals[0], root->keys[0], "thing \"x\"",
                                       NULL, &d), 1);
    char *got = all_diags();
    ck_assert_str_eq(got, E("1:1", "missing required option \"endpoint\""));
    free(got);
    ck_assert_int_eq(extra.retries, 3);
    ck_assert_ptr_null(extra.endpoint);
    /* no map at all */
    reset();
    sl_optset again = {table, &cfg};
    ck_assert_uint_eq(sl_options_apply(&again, 1, NULL, NULL, "x", NULL, &d), 1);
    ck_assert_uint_eq(cfg.max_bytes, 1048576);
    ck_assert_str_eq(cfg.tags.v[0], "default-tag");
    /* a map that is not a map: one error, defaults still set */
    reset();
    root = parse("[1]\n");
    sl_optset third = {table, &cfg};
    ck_assert_uint_eq(sl_options_apply(&third, 1, root, NULL, "x", NULL, &d), 1);
    ck_assert_str_eq(d.v[0].text, "t.yaml:1:1: error: x: options must be a map, not a list");
    ck_assert_int_eq(cfg.max_events, 100);
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

START_TEST(missing_required)
{
    expect("workers: 2\n", E("1:1", "missing required option \"path\""));
    ck_assert_ptr_null(cfg.path);
    /* at `where` when given */
    const sl_node *root = parse("out:\n  workers: 2\n");
    sl_optset set = {table, &cfg};
    ck_assert_uint_eq(sl_options_apply(&set, 1, sl_node_get(root, "out"), root->keys[0],
                                       "destination \"out\"", NULL, &d), 1);
    ck_assert_str_eq(d.v[0].text,
                     "t.yaml:1:1: error: destination \"out\": missing required option \"path\"");
    /* with no map and no `where`, there is no place to name */
    reset();
    sl_optset set2 = {table, &cfg};
    ck_assert_uint_eq(sl_options_apply(&set2, 1, NULL, NULL, "service", NULL, &d), 1);
    ck_assert_str_eq(d.v[0].text, "error: service: missing required option \"path\"");
    ck_assert_int_eq(cfg.max_events, 100);            /* defaults still apply */
    /* a required option given with a bad value is not also "missing" */
    expect("path: [a]\n", E("1:7", "option \"path\" must be a string, not a list"));
}
END_TEST

START_TEST(unknown_options_with_suggestions)
{
    expect("path: /x\npaht: 1\n",
           E("2:1", "unknown option \"paht\" (did you mean \"path\"?)"));
    expect("path: /x\nbatch:\n  max_byts: 1\n",
           E("3:3", "unknown option \"batch.max_byts\" (did you mean \"batch.max_bytes\"?)"));
    /* a nested option at the top level, exact or misspelt */
    expect("path: /x\nmax_age: 1s\n",
           E("2:1", "unknown option \"max_age\" (did you mean \"batch.max_age\"?)"));
    expect("path: /x\nmax_evnts: 1\n",
           E("2:1", "unknown option \"max_evnts\" (did you mean \"batch.max_events\"?)"));
    /* a top-level option inside a group */
    expect("path: /x\nbatch: { fsync: true }\n",
           E("2:10", "unknown option \"batch.fsync\" (did you mean \"fsync\"?)"));
    expect("path: /x\ncompletely_else: 1\n", E("2:1", "unknown option \"completely_else\""));
    expect("path: /x\nbatch: { zzz: 1 }\n", E("2:10", "unknown option \"batch.zzz\""));
    expect("path: /x\na: { b: { d: 1 } }\n",
           E("2:11", "unknown option \"a.b.d\" (did you mean \"a.b.c\"?)"));
    /* a case slip */
    expect("Path: /x\n", E("1:1", "unknown option \"Path\" (did you mean \"path\"?)")
                         E("1:1", "missing required option \"path\""));
    /* every unknown key is reported, in order */
    expect("path: /x\nfoo: 1\nbatch: { bar: 2 }\nfsnyc: true\n",
           E("2:1", "unknown option \"foo\"")
           E("3:10", "unknown option \"batch.bar\"")
           E("4:1", "unknown option \"fsnyc\" (did you mean \"fsync\"?)"));
}
END_TEST

START_TEST(type_errors)
{
    expect("path: /x\nworkers: many\n",
           E("2:10", "option \"workers\" must be an integer or auto, not \"many\""));
    expect("path: /x\nbatch: { max_events: [1, 2] }\n",
           E("2:22", "option \"batch.max_events\" must be an integer, not a list"));
    expect("path: /x\nbatch: { max_events: {a: 1} }\n",
           E("2:22", "option \"batch.max_events\" must be an integer, not a map"));
    expect("path: /x\nbatch:\n  max_events:\n",
           E("3:14", "option \"batch.max_events\" must be an integer, not empty"));
    expect("path: /x\nbatch: { max_events: 1.5 }\n",
           E("2:22", "option \"batch.max_events\" must be an integer, not \"1.5\""));
    expect("path: /x\nbatch: { max_bytes: 64 potatoes }\n",
           E("2:21", "option \"batch.max_bytes\" must be a size such as 64MiB, not "
                     "\"64 potatoes\""));
    expect("path: /x\nbatch: { max_age: soon }\n",
           E("2:19", "option \"batch.max_age\" must be a duration such as 500ms or 5m, not "
                     "\"soon\""));
    expect("path: /x\nbatch: { max_age: ~ }\n",
           E("2:19", "option \"batch.max_age\" must be a duration such as 500ms or 5m, not "
                     "empty"));
    expect("path: /x\nfsync: maybe\n",
           E("2:8", "option \"fsync\" must be true or false, not \"maybe\""));
    expect("path: /x\nfsync: null\n", E("2:8", "option \"fsync\" must be true or false, not empty"));
    expect("path: [a]\n", E("1:7", "option \"path\" must be a string, not a list"));
    expect("path:\n", E("1:6", "option \"path\" must be a string, not empty"));
    expect("path: ~\n", E("1:7", "option \"path\" must be a string, not empty"));
    expect("path: /x\nmode: fats\n",
           E("2:7", "option \"mode\" must be one of: fast, safe (got \"fats\"; did you mean "
                    "\"fast\"?)"));
    expect("path: /x\nmode: turbo\n",
           E("2:7", "option \"mode\" must be one of: fast, safe (got \"turbo\")"));
    expect("path: /x\nmode: [fast]\n",
           E("2:7", "option \"mode\" must be one of its choices, not a list"));
    expect("path: /x\npaths: [a, {b: c}, ~, [d]]\n",
           E("2:12", "option \"paths\" must be a list of strings, but item 2 is a map")
           E("2:20", "option \"paths\" must be a list of strings, but item 3 is empty")
           E("2:23", "option \"paths\" must be a list of strings, but item 4 is a list"));
    ck_assert_uint_eq(cfg.paths.n, 1);                /* the good item is kept (and freed) */
    expect("path: /x\npaths: {a: b}\n",
           E("2:8", "option \"paths\" must be a list of strings, not a map"));
    expect("path: /x\npaths:\n", E("2:7", "option \"paths\" must be a list of strings, not empty"));
    expect("path: /x\nheaders: [a]\n",
           E("2:10", "option \"headers\" must be a map of strings, not a list"));
    expect("path: /x\nheaders: text\n",
           E("2:10", "option \"headers\" must be a map of strings, not a string"));
    expect("path: /x\nheaders: { ok: v, A: [1], B: }\n",
           E("2:22", "option \"headers\" must be a map of strings, but the value of \"A\" is a "
                     "list")
           E("2:30", "option \"headers\" must be a map of strings, but the value of \"B\" is "
                     "empty"));
    ck_assert_uint_eq(cfg.headers.n, 1);
    expect("- a\n", E("1:1", "options must be a map, not a list"));
    expect("just words\n", E("1:1", "options must be a map, not a string"));
}
END_TEST

START_TEST(type_error_leaves_zero_and_frees)
{
    ck_assert_uint_eq(apply("path: /x\nworkers: many\nlabel: [x]\nmode: nope\n"), 3);
    ck_assert_int_eq(cfg.workers, 0);
    ck_assert_ptr_null(cfg.label);
    ck_assert_int_eq(cfg.mode, 0);
}
END_TEST

START_TEST(scalars_read_as_text)
{
    /* quoted numbers are numbers; plain words are strings */
    ck_assert_uint_eq(apply("path: 123\nworkers: '4'\nfsync: \"on\"\nlabel: true\n"), 0);
    ck_assert_str_eq(cfg.path, "123");
    ck_assert_int_eq(cfg.workers, 4);
    ck_assert(cfg.fsync);
    ck_assert_str_eq(cfg.label, "true");
    /* a single string is a list of one */
    ck_assert_uint_eq(apply("path: /x\npaths: /var/log/*.log\n"), 0);
    ck_assert_uint_eq(cfg.paths.n, 1);
    ck_assert_str_eq(cfg.paths.v[0], "/var/log/*.log");
    /* NODE takes anything, an empty value included */
    ck_assert_uint_eq(apply("path: /x\nraw:\n"), 0);
    ck_assert_ptr_nonnull(cfg.raw);
    ck_assert(cfg.raw->is_null);
    ck_assert_uint_eq(apply("path: /x\nraw: {deep: {er: 1}}\n"), 0);
    ck_assert_int_eq(cfg.raw->kind, SL_NODE_MAP);
}
END_TEST

START_TEST(range_errors_speak_in_units)
{
    expect("path: /x\nworkers: 0\n", E("2:10", "option \"workers\" must be between 1 and 64 (got 0)"));
    expect("path: /x\nworkers: 65\n", E("2:10", "option \"workers\" must be between 1 and 64 (got 65)"));
    expect("path: /x\nworkers: 99999999999999999999\n",
           E("2:10", "option \"workers\" must be an integer or auto, not \"99999999999999999999\""));
    expect("path: /x\nbatch: { max_bytes: 2GiB }\n",
           E("2:21", "option \"batch.max_bytes\" must be between 1KiB and 1GiB (got 2GiB)"));
    expect("path: /x\nbatch: { max_bytes: 1023 }\n",
           E("2:21", "option \"batch.max_bytes\" must be between 1KiB and 1GiB (got 1023)"));
    expect("path: /x\nbatch: { max_age: 2h }\n",
           E("2:19", "option \"batch.max_age\" must be between 0 and 1h (got 2h)"));
    expect("path: /x\noffset: -11\n", E("2:9", "option \"offset\" must be between -10 and 10 (got -11)"));
    /* bounds are inclusive, and "auto" is outside the range check */
    ck_assert_uint_eq(apply("path: /x\nworkers: 64\nbatch: { max_bytes: 1KiB, max_age: 1h }\n"
                            "offset: -10\n"), 0);
    ck_assert_int_eq(cfg.workers, 64);
    ck_assert_uint_eq(cfg.max_bytes, 1024);
    ck_assert_int_eq(cfg.max_age, HOUR_NS);
    ck_assert_uint_eq(apply("path: /x\nworkers: auto\n"), 0);
    ck_assert_int_eq(cfg.workers, 0);
    /* "auto" only where the option allows it */
    expect("path: /x\nbatch: { max_events: auto }\n",
           E("2:22", "option \"batch.max_events\" must be an integer, not \"auto\""));
}
END_TEST

START_TEST(secrets_are_never_echoed)
{
    expect("path: /x\nsecret_key: [hunter2]\n",
           E("2:13", "option \"secret_key\" must be a string, not a list"));
    expect("path: /x\npin: hunter2\n",
           E("2:6", "option \"pin\" is invalid: it must be an integer (the value is secret and "
                    "not shown)"));
    expect("path: /x\npin: 12\n",
           E("2:6", "option \"pin\" must be between 1000 and 9999 (the value is secret and not "
                    "shown)"));
    expect("path: /x\ncipher: aez\n",
           E("2:9", "option \"cipher\" is invalid: it must be one of: aes, chacha (the value is "
                    "secret and not shown)"));
    char *got = all_diags();
    ck_assert_ptr_null(strstr(got, "aez"));
    free(got);
    /* neither are unknown keys' values */
    expect("path: /x\nsecret_kye: hunter2\n",
           E("2:1", "unknown option \"secret_kye\" (did you mean \"secret_key\"?)"));
}
END_TEST

/* ---- secrets from files (NAME_file) ------------------------------------------ */

/* A temporary file with `len` bytes of `content` and mode `mode`. */
static char *secret_file(const char *content, size_t len, mode_t mode)
{
    char *path = strdup("/tmp/sluice-test-secret-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
    close(fd);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

/* Apply "path: /x" plus `key: PATH`; returns the error count. */
static size_t apply_with_file(const char *key, const char *path)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml, "path: /x\n%s: %s\n", key, path);
    return apply(yaml);
}

START_TEST(secrets_from_files)
{
    char *f = secret_file("hunter2\n", 8, 0600);
    size_t errors = apply_with_file("secret_key_file", f);
    char *got = all_diags();
    ck_assert_msg(errors == 0 && d.n == 0, "%s", got);
    free(got);
    ck_assert_str_eq(cfg.secret, "hunter2");         /* the newline is dropped */
    unlink(f);
    free(f);

    /* any scalar type: an integer (CRLF dropped), a choice */
    f = secret_file("1234\r\n", 6, 0400);
    ck_assert_uint_eq(apply_with_file("pin_file", f), 0);
    ck_assert_int_eq(cfg.pin, 1234);
    unlink(f);
    free(f);
    f = secret_file("chacha", 6, 0600);
    ck_assert_uint_eq(apply_with_file("cipher_file", f), 0);
    ck_assert_int_eq(cfg.cipher, 1);
    unlink(f);
    free(f);

    /* inside the value: spaces and inner newlines are kept */
    f = secret_file(" a b\nc \n\n", 9, 0600);
    ck_assert_uint_eq(apply_with_file("secret_key_file", f), 0);
    ck_assert_str_eq(cfg.secret, " a b\nc ");
    unlink(f);
    free(f);
}
END_TEST

START_TEST(secret_file_problems)
{
    char want[1024];
    /* readable by everyone: a warning, the value is still used */
    char *f = secret_file("hunter2", 7, 0644);
    ck_assert_uint_eq(apply_with_file("secret_key_file", f), 0);
    ck_assert_str_eq(cfg.secret, "hunter2");
    snprintf(want, sizeof want, "t.yaml:2:18: warning: thing \"x\": option \"secret_key_file\": "
             "%s holds a secret but is readable by every user (mode 0644); fix it with: "
             "chmod o-r %s\n", f, f);
    char *got = all_diags();
    ck_assert_str_eq(got, want);
    free(got);
    unlink(f);
    free(f);

    /* a bad value: the message never shows it */
    f = secret_file("12\n", 3, 0600);
    ck_assert_uint_eq(apply_with_file("pin_file", f), 1);
    ck_assert_int_eq(cfg.pin, 0);
    snprintf(want, sizeof want, E("2:11", "option \"pin_file\": the value of \"pin\" in %s must be "
             "between 1000 and 9999 (the value is secret and not shown)"), f);
    got = all_diags();
    ck_assert_str_eq(got, want);
    free(got);
    unlink(f);
    free(f);
    f = secret_file("aez", 3, 0600);
    ck_assert_uint_eq(apply_with_file("cipher_file", f), 1);
    snprintf(want, sizeof want, E("2:14", "option \"cipher_file\": the content of %s is not a valid "
             "\"cipher\": it must be one of: aes, chacha (the value is secret and not shown)"), f);
    got = all_diags();
    ck_assert_str_eq(got, want);
    ck_assert_ptr_null(strstr(got, "aez"));
    free(got);
    unlink(f);
    free(f);

    /* empty (a newline alone too), a NUL byte, too large */
    f = secret_file("\n", 1, 0600);
    ck_assert_uint_eq(apply_with_file("secret_key_file", f), 1);
    snprintf(want, sizeof want, E("2:18", "option \"secret_key_file\": %s is empty"), f);
    got = all_diags();
    ck_assert_str_eq(got, want);
    free(got);
    unlink(f);
    free(f);
    f = secret_file("ab\0cd", 5, 0600);
    ck_assert_uint_eq(apply_with_file("secret_key_file", f), 1);
    snprintf(want, sizeof want, E("2:18", "option \"secret_key_file\": %s holds a NUL byte"), f);
    got = all_diags();
    ck_assert_str_eq(got, want);
    free(got);
    unlink(f);
    free(f);
    size_t big = SL_SECRET_FILE_MAX + 1;
    char *huge = malloc(big);
    memset(huge, 'k', big);
    f = secret_file(huge, big, 0600);
    free(huge);
    ck_assert_uint_eq(apply_with_file("secret_key_file", f), 1);
    snprintf(want, sizeof want, E("2:18", "option \"secret_key_file\": %s is larger than 64KiB (is "
             "it the right file?)"), f);
    got = all_diags();
    ck_assert_str_eq(got, want);
    free(got);
    /* exactly the limit is fine */
    ck_assert_int_eq(truncate(f, SL_SECRET_FILE_MAX), 0);
    ck_assert_uint_eq(apply_with_file("secret_key_file", f), 0);
    ck_assert_uint_eq(strlen(cfg.secret), SL_SECRET_FILE_MAX);
    unlink(f);
    free(f);

    /* missing, a directory, not a path */
    ck_assert_uint_eq(apply_with_file("secret_key_file", "/nonexistent/key"), 1);
    got = all_diags();
    ck_assert_str_eq(got, E("2:18", "option \"secret_key_file\": cannot read /nonexistent/key: No "
                                    "such file or directory"));
    free(got);
    ck_assert_uint_eq(apply_with_file("secret_key_file", "/tmp"), 1);
    got = all_diags();
    ck_assert_str_eq(got, E("2:18", "option \"secret_key_file\": /tmp is not a regular file"));
    free(got);
    expect("path: /x\nsecret_key_file: [a]\n",
           E("2:18", "option \"secret_key_file\" must be the path of a file holding "
                     "\"secret_key\", not a list"));

    /* both forms, in either order; and NAME_file of an option that is not secret */
    f = secret_file("hunter2", 7, 0600);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "path: /x\nsecret_key: a\nsecret_key_file: %s\n", f);
    expect(yaml, E("3:1", "give either \"secret_key\" or \"secret_key_file\", not both (the "
                          "other is at line 2)"));
    snprintf(yaml, sizeof yaml, "path: /x\nsecret_key_file: %s\nsecret_key: a\n", f);
    expect(yaml, E("3:1", "give either \"secret_key\" or \"secret_key_file\", not both (the "
                          "other is at line 2)"));
    snprintf(yaml, sizeof yaml, "path_file: %s\n", f);
    apply(yaml);
    got = all_diags();
    ck_assert_ptr_nonnull(strstr(got, "unknown option \"path_file\""));
    free(got);
    unlink(f);
    free(f);
}
END_TEST

typedef struct {
    char *token;
} token_cfg;

static const sl_option token_table[] = {
    {"auth.token", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED | SL_OPTF_SECRET, 0, 0, NULL,
     offsetof(token_cfg, token), "Token."},
    SL_OPT_END,
};

START_TEST(required_secret_from_a_file)
{
    token_cfg tc = {0};
    sl_optset set = {token_table, &tc};
    const sl_node *root = parse("auth: {}\n");
    ck_assert_uint_eq(sl_options_apply(&set, 1, root, NULL, "t", NULL, &d), 1);
    char *got = all_diags();
    ck_assert_str_eq(got, "t.yaml:1:1: error: t: missing required option \"auth.token\" (or "
                          "\"auth.token_file\", a file holding it)\n");
    free(got);
    sl_options_free(&set, 1);

    char *f = secret_file("tok\n", 4, 0600);
    char yaml[256];
    snprintf(yaml, sizeof yaml, "auth: { token_file: %s }\n", f);
    root = parse(yaml);
    ck_assert_uint_eq(sl_options_apply(&set, 1, root, NULL, "t", NULL, &d), 0);
    ck_assert_str_eq(tc.token, "tok");
    sl_options_free(&set, 1);
    unlink(f);
    free(f);
}
END_TEST

START_TEST(error_count_is_only_this_call)
{
    const sl_node *root = parse("path: /x\nworkers: 0\nfoo: 1\n");
    sl_diag_at(&d, SL_DIAG_ERROR, NULL, 0, 0, "earlier");
    sl_diag_warn(&d, NULL, "a warning");
    sl_optset set = {table, &cfg};
    ck_assert_uint_eq(sl_options_apply(&set, 1, root, NULL, "x", NULL, &d), 2);
    ck_assert_uint_eq(d.errors, 3);
}
END_TEST

/* ---- bad tables are bugs: abort ------------------------------------------- */

typedef struct {
    int64_t i;
    int e;
    sl_strmap m;
} bad_cfg;

static void apply_table(const sl_option *opts)
{
    bad_cfg out = {0};
    sl_diags diags = {0};
    sl_optset set = {opts, &out};
    sl_options_apply(&set, 1, NULL, NULL, "bad", NULL, &diags);
}

START_TEST(bad_default_int)
{
    static const sl_option t[] = {
        {"i", SL_OPT_INT, "lots", 0, 0, 0, NULL, offsetof(bad_cfg, i), "i"}, SL_OPT_END};
    apply_table(t);
}
END_TEST

START_TEST(bad_default_out_of_range)
{
    static const sl_option t[] = {
        {"i", SL_OPT_INT, "0", 0, 1, 5, NULL, offsetof(bad_cfg, i), "i"}, SL_OPT_END};
    apply_table(t);
}
END_TEST

START_TEST(bad_default_choice)
{
    static const char *const c[] = {"a", NULL};
    static const sl_option t[] = {
        {"e", SL_OPT_ENUM, "b", 0, 0, 0, c, offsetof(bad_cfg, e), "e"}, SL_OPT_END};
    apply_table(t);
}
END_TEST

START_TEST(choice_without_choices)
{
    static const sl_option t[] = {
        {"e", SL_OPT_ENUM, NULL, 0, 0, 0, NULL, offsetof(bad_cfg, e), "e"}, SL_OPT_END};
    apply_table(t);
}
END_TEST

START_TEST(map_with_default)
{
    static const sl_option t[] = {
        {"m", SL_OPT_STRMAP, "x", 0, 0, 0, NULL, offsetof(bad_cfg, m), "m"}, SL_OPT_END};
    apply_table(t);
}
END_TEST

START_TEST(secret_file_name_taken)
{
    static const sl_option t[] = {
        {"i", SL_OPT_INT, NULL, SL_OPTF_SECRET, 0, 0, NULL, offsetof(bad_cfg, i), "i"},
        {"i_file", SL_OPT_INT, NULL, 0, 0, 0, NULL, offsetof(bad_cfg, i), "i"}, SL_OPT_END};
    apply_table(t);
}
END_TEST

START_TEST(good_defaults_do_not_abort)
{
    static const char *const c[] = {"a", "b", NULL};
    static const sl_option t[] = {
        {"i", SL_OPT_INT, "5", 0, 1, 5, NULL, offsetof(bad_cfg, i), "i"},
        {"e", SL_OPT_ENUM, "b", 0, 0, 0, c, offsetof(bad_cfg, e), "e"},
        SL_OPT_END};
    bad_cfg out;
    memset(&out, 0x5a, sizeof out);
    sl_diags diags = {0};
    sl_optset set = {t, &out};
    ck_assert_uint_eq(sl_options_apply(&set, 1, NULL, NULL, "ok", NULL, &diags), 0);
    ck_assert_int_eq(out.i, 5);
    ck_assert_int_eq(out.e, 1);
}
END_TEST

/* ---- unit parsing and formatting ------------------------------------------ */

typedef struct {
    const char *text;
    bool ok;
    uint64_t value;
} size_case;

START_TEST(size_units)
{
    static const size_case cases[] = {
        {"0", true, 0},
        {"512", true, 512},
        {"512B", true, 512},
        {"512 B", true, 512},
        {"64KiB", true, 65536},
        {"64k", true, 65536},
        {"64K", true, 65536},
        {"10kB", true, 10000},
        {"10KB", true, 10000},
        {"3MB", true, 3000000},
        {"3M", true, 3145728},
        {"1.5MiB", true, 1572864},
        {"1.5MB", true, 1500000},
        {"0.5KiB", true, 512},
        {"1.1KiB", true, 1126},           /* 1126.4, to the nearest byte */
        {"2 GiB", true, UINT64_C(2147483648)},
        {"2G", true, UINT64_C(2147483648)},
        {"1GB", true, 1000000000},
        {"1TiB", true, UINT64_C(1099511627776)},
        {"2TB", true, UINT64_C(2000000000000)},
        {"16777215TiB", true, UINT64_C(16777215) << 40},
        {"18446744073709551615", true, UINT64_MAX},
        {"18446744073709551616", false, 0},     /* overflow */
        {"16777216TiB", false, 0},              /* 2^64: overflow */
        {"99999999999TB", false, 0},
        {"16EiB", false, 0},
        {"", false, 0},
        {" ", false, 0},
        {"MiB", false, 0},
        {"-1", false, 0},
        {"+1", false, 0},
        {"1.5", false, 0},                      /* a fraction of a byte */
        {"1.5B", false, 0},
        {".5MiB", false, 0},
        {"5.MiB", false, 0},
        {"1..5MiB", false, 0},
        {"64 potatoes", false, 0},
        {"64mib", false, 0},
        {"64kb", false, 0},
        {"64 kib", false, 0},
        {"64T", false, 0},
        {"64  MiB", false, 0},
        {"64 ", false, 0},
        {" 64", false, 0},
        {"64MiB ", false, 0},
        {"1e3", false, 0},
        {"0x10", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        bool ok = sl_parse_size(cases[i].text, &v);
        ck_assert_msg(ok == cases[i].ok, "size \"%s\": %s", cases[i].text, ok ? "ok" : "refused");
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
        {"0", true, 0},
        {"0s", true, 0},
        {"250ms", true, 250000000},
        {"5s", true, INT64_C(5000000000)},
        {"5m", true, 5 * MIN_NS},
        {"1m30s", true, 90 * INT64_C(1000000000)},
        {"2h", true, 2 * HOUR_NS},
        {"1h30m15s", true, HOUR_NS + 30 * MIN_NS + 15 * INT64_C(1000000000)},
        {"1d", true, 24 * HOUR_NS},
        {"1.5s", true, 1500000000},
        {"0.5m", true, 30 * INT64_C(1000000000)},
        {"1.5ns", true, 2},
        {"10us", true, 10000},
        {"10\xc2\xb5s", true, 10000},
        {"10\xce\xbcs", true, 10000},
        {"7ns", true, 7},
        {"1s500ms", true, 1500000000},
        {"9223372036854775807ns", true, INT64_MAX},
        {"9223372036854775808ns", false, 0},
        {"106751d", true, 106751 * 24 * HOUR_NS},
        {"106752d", false, 0},
        {"106751d23h47m16s854775807ns", true, INT64_MAX},
        {"106751d23h47m16s854775808ns", false, 0},
        {"999999999999d", false, 0},
        {"99999999999999999999s", false, 0},
        {"", false, 0},
        {"5", false, 0},
        {"00", false, 0},
        {"1m30", false, 0},
        {"soon", false, 0},
        {"5 s", false, 0},
        {" 5s", false, 0},
        {"5s ", false, 0},
        {"-5s", false, 0},
        {"+5s", false, 0},
        {"5x", false, 0},
        {"5S", false, 0},
        {"5sec", false, 0},
        {"1h-", false, 0},
        {".5s", false, 0},
        {"s", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 777;
        bool ok = sl_parse_duration(cases[i].text, &v);
        ck_assert_msg(ok == cases[i].ok, "duration \"%s\": %s", cases[i].text,
                      ok ? "ok" : "refused");
        if (ok)
            ck_assert_msg(v == cases[i].ns, "duration \"%s\" = %lld", cases[i].text, (long long)v);
        else
            ck_assert_int_eq(v, 777);
    }
}
END_TEST

START_TEST(ints_and_bools)
{
    int64_t i = 99;
    ck_assert(sl_parse_int("0", &i) && i == 0);
    ck_assert(sl_parse_int("-42", &i) && i == -42);
    ck_assert(sl_parse_int("+42", &i) && i == 42);
    ck_assert(sl_parse_int("007", &i) && i == 7);
    ck_assert(sl_parse_int("9223372036854775807", &i) && i == INT64_MAX);
    ck_assert(sl_parse_int("-9223372036854775808", &i) && i == INT64_MIN);
    i = 99;
    static const char *const bad_ints[] = {"9223372036854775808", "-9223372036854775809",
                                           "99999999999999999999", "12abc", " 1", "1 ", "",
                                           "-", "+", "0x10", "1.0", "1e3", "--1"};
    for (size_t k = 0; k < sizeof bad_ints / sizeof bad_ints[0]; k++) {
        ck_assert_msg(!sl_parse_int(bad_ints[k], &i), "int \"%s\"", bad_ints[k]);
        ck_assert_int_eq(i, 99);
    }
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "ON"};
    static const char *const no[] = {"false", "False", "no", "NO", "off", "Off"};
    for (size_t k = 0; k < sizeof yes / sizeof yes[0]; k++) {
        bool b = false;
        ck_assert_msg(sl_parse_bool(yes[k], &b) && b, "bool \"%s\"", yes[k]);
    }
    for (size_t k = 0; k < sizeof no / sizeof no[0]; k++) {
        bool b = true;
        ck_assert_msg(sl_parse_bool(no[k], &b) && !b, "bool \"%s\"", no[k]);
    }
    static const char *const bad_bools[] = {"1", "0", "y", "n", "", "truee", " true", "maybe"};
    for (size_t k = 0; k < sizeof bad_bools / sizeof bad_bools[0]; k++) {
        bool b = true;
        ck_assert_msg(!sl_parse_bool(bad_bools[k], &b), "bool \"%s\"", bad_bools[k]);
        ck_assert(b);
    }
}
END_TEST

START_TEST(formatting)
{
    static const struct {
        int64_t ns;
        const char *text;
    } durations[] = {
        {0, "0"},
        {250000000, "250ms"},
        {5 * MIN_NS, "5m"},
        {HOUR_NS, "1h"},
        {90 * INT64_C(1000000000), "1m30s"},
        {1500000000, "1s500ms"},
        {24 * HOUR_NS, "1d"},
        {24 * HOUR_NS + 1, "1d1ns"},
        {10000, "10us"},
        {7, "7ns"},
        {1001, "1001ns"},
        {-5 * INT64_C(1000000000), "-5s"},
        {INT64_MAX, "106751d23h47m16s854775807ns"},
        {INT64_MIN, "-106751d23h47m16s854775808ns"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        sl_format_duration(durations[i].ns, buf, sizeof buf);
        ck_assert_str_eq(buf, durations[i].text);
        int64_t back;
        if (durations[i].ns >= 0) {      /* what is written reads back the same */
            ck_assert_msg(sl_parse_duration(buf, &back), "reparse %s", buf);
            ck_assert_int_eq(back, durations[i].ns);
        }
    }
    static const struct {
        uint64_t bytes;
        const char *text;
    } sizes[] = {
        {0, "0"},
        {1, "1"},
        {1500, "1500"},
        {1024, "1KiB"},
        {1536, "1536"},
        {UINT64_C(64) << 20, "64MiB"},
        {UINT64_C(3) << 30, "3GiB"},
        {UINT64_C(2) << 40, "2TiB"},
        {UINT64_C(1) << 50, "1024TiB"},
        {UINT64_MAX, "18446744073709551615"},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sl_format_size(sizes[i].bytes, buf, sizeof buf);
        ck_assert_str_eq(buf, sizes[i].text);
        uint64_t back;
        ck_assert_msg(sl_parse_size(buf, &back), "reparse %s", buf);
        ck_assert_uint_eq(back, sizes[i].bytes);
    }
    /* a small buffer is truncated, never overrun */
    char small[4];
    sl_format_duration(90 * INT64_C(1000000000), small, sizeof small);
    ck_assert_str_eq(small, "1m3");
    sl_format_size(UINT64_C(64) << 20, small, sizeof small);
    ck_assert_str_eq(small, "64M");
}
END_TEST

/* ---- did you mean --------------------------------------------------------- */

START_TEST(did_you_mean)
{
    static const char *const c[] = {"bucket", "region", "endpoint", "path_style"};
    ck_assert_str_eq(sl_did_you_mean("bukcet", c, 4), "bucket");      /* transposition */
    ck_assert_str_eq(sl_did_you_mean("Region", c, 4), "region");      /* case */
    ck_assert_str_eq(sl_did_you_mean("REGION", c, 4), "region");
    ck_assert_str_eq(sl_did_you_mean("endpont", c, 4), "endpoint");   /* deletion */
    ck_assert_str_eq(sl_did_you_mean("endpoinnt", c, 4), "endpoint"); /* insertion */
    ck_assert_str_eq(sl_did_you_mean("path_stlye", c, 4), "path_style");
    ck_assert_str_eq(sl_did_you_mean("bucket", c, 4), "bucket");      /* exact */
    ck_assert_ptr_null(sl_did_you_mean("zzz", c, 4));
    ck_assert_ptr_null(sl_did_you_mean("b", c, 4));
    ck_assert_ptr_null(sl_did_you_mean("", c, 4));
    ck_assert_ptr_null(sl_did_you_mean("bucket", c, 0));
    /* the limit: a third of the word, at least 1, at most 3 */
    static const char *const one[] = {"abcdefghijkl"};
    ck_assert_ptr_nonnull(sl_did_you_mean("abcdefghiXYZ", one, 1));   /* 3 of 12 */
    ck_assert_ptr_null(sl_did_you_mean("abcdefghWXYZ", one, 1));      /* 4 of 12 */
    static const char *const longer[] = {"abcdefghijklmnopqrstuvwx"};
    ck_assert_ptr_nonnull(sl_did_you_mean("abcdefghijklmnopqrstuXYZ", longer, 1)); /* 3 of 24 */
    ck_assert_ptr_null(sl_did_you_mean("abcdefghijklmnopqrstWXYZ", longer, 1));   /* capped */
    static const char *const short_words[] = {"ab", "cd"};
    ck_assert_str_eq(sl_did_you_mean("ax", short_words, 2), "ab");   /* limit 1 for short words */
    ck_assert_ptr_null(sl_did_you_mean("xy", short_words, 2));
    static const char *const five[] = {"abcde"};
    ck_assert_ptr_nonnull(sl_did_you_mean("abcdX", five, 1));        /* 5/3 = 1 */
    ck_assert_ptr_null(sl_did_you_mean("abcXY", five, 1));
    /* ties go to the first candidate; a closer one wins */
    static const char *const tie[] = {"cat", "bat", "hat"};
    ck_assert_str_eq(sl_did_you_mean("rat", tie, 3), "cat");
    ck_assert_str_eq(sl_did_you_mean("hat", tie, 3), "hat");
}
END_TEST

START_TEST(edit_distance)
{
    ck_assert_uint_eq(sl_edit_distance("", ""), 0);
    ck_assert_uint_eq(sl_edit_distance("", "abc"), 3);
    ck_assert_uint_eq(sl_edit_distance("abc", ""), 3);
    ck_assert_uint_eq(sl_edit_distance("kitten", "sitting"), 3);
    ck_assert_uint_eq(sl_edit_distance("ab", "ba"), 1);
    ck_assert_uint_eq(sl_edit_distance("Ab", "bA"), 1);
    ck_assert_uint_eq(sl_edit_distance("ca", "abc"), 3);              /* OSA, not full Damerau */
    ck_assert_uint_eq(sl_edit_distance("PATH", "path"), 0);
    ck_assert_uint_eq(sl_typo_limit(""), 1);
    ck_assert_uint_eq(sl_typo_limit("abcdef"), 2);
    ck_assert_uint_eq(sl_typo_limit("abcdefghijklmnopqrstuvwxyz"), 3);
}
END_TEST

/* ---- help and man --------------------------------------------------------- */

typedef struct {
    char *s;
    int64_t n;
    uint64_t z;
    int64_t t;
    int e;
    bool b;
    sl_strlist l;
} help_cfg;

static const char *const encodings[] = {"ndjson", "raw", NULL};
#define H(f) offsetof(help_cfg, f)
static const sl_option help_table[] = {
    {"path", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, H(s),
     "Output file path; strftime patterns and {field} placeholders allowed."},
    {"batch.max_events", SL_OPT_INT, "1000", 0, 1, 1000000, NULL, H(n),
     "Most events in one batch."},
    {"workers", SL_OPT_INT, "auto", SL_OPTF_AUTO, 1, 1024, NULL, H(n), "Threads."},
    {"memory_limit", SL_OPT_SIZE, "64MiB", 0, 1 << 20, INT64_C(1) << 40, NULL, H(z), "Memory."},
    {"shutdown_timeout", SL_OPT_DURATION, "30s", 0, 0, INT64_C(3600000000000), NULL, H(t),
     "Grace period."},
    {"encoding", SL_OPT_ENUM, "ndjson", 0, 0, 0, encodings, H(e), "How events are written."},
    {"secret_access_key", SL_OPT_STRING, "dont-print-me", SL_OPTF_SECRET, 0, 0, NULL, H(s),
     "Key."},
    {"token", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED | SL_OPTF_SECRET, 0, 0, NULL, H(s), "Token."},
    {"fsync", SL_OPT_BOOL, "false", 0, 0, 0, NULL, H(b), ".dotfile \\ backslash, \"quoted\""},
    {"tags", SL_OPT_STRLIST, NULL, 0, 0, 0, NULL, H(l), "'quote first\n.dot on line two"},
    {"prefix", SL_OPT_STRING, "", 0, 0, 0, NULL, H(s), "Prefix."},
    {"a_very_long_option_name_indeed", SL_OPT_STRING, "x-\"y\"\\z", 0, 0, 0, NULL, H(s), NULL},
    SL_OPT_END,
};

static char *capture(void (*print)(FILE *, const sl_option *), const sl_option *opts)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    print(f, opts);
    fclose(f);
    return text;
}

START_TEST(help_text)
{
    char *text = capture(sl_options_print_help, help_table);
    ck_assert_str_eq(text,
        "  path                 string    (required)\n"
        "      Output file path; strftime patterns and {field} placeholders allowed.\n"
        "  batch.max_events     integer   default 1000   range 1..1000000\n"
        "      Most events in one batch.\n"
        "  workers              integer   default auto   range 1..1024 or auto\n"
        "      Threads.\n"
        "  memory_limit         size      default 64MiB   range 1MiB..1TiB\n"
        "      Memory.\n"
        "  shutdown_timeout     duration  default 30s   range 0..1h\n"
        "      Grace period.\n"
        "  encoding             choice    default ndjson   one of: ndjson, raw\n"
        "      How events are written.\n"
        "  secret_access_key    string    (secret)\n"
        "      Key.\n"
        "  secret_access_key_file string    (path)\n"
        "      A file holding secret_access_key, to keep the secret out of the config: read "
        "once at startup (at most 64KiB, trailing newline dropped), never logged; instead of "
        "secret_access_key.\n"
        "  token                string    (required, secret)\n"
        "      Token.\n"
        "  token_file           string    (path)\n"
        "      A file holding token, to keep the secret out of the config: read once at startup "
        "(at most 64KiB, trailing newline dropped), never logged; instead of token, one of the "
        "two is required.\n"
        "  fsync                boolean   default false\n"
        "      .dotfile \\ backslash, \"quoted\"\n"
        "  tags                 list of strings\n"
        "      'quote first\n.dot on line two\n"
        "  prefix               string    default \"\"\n"
        "      Prefix.\n"
        "  a_very_long_option_name_indeed string    default x-\"y\"\\z\n");
    ck_assert_ptr_null(strstr(text, "dont-print-me"));
    free(text);
}
END_TEST

START_TEST(man_text)
{
    char *text = capture(sl_options_print_man, help_table);
    ck_assert_str_eq(text,
        ".TP\n.BR \"path\" \" (\" \"string\" \", required)\"\n"
        "Output file path; strftime patterns and {field} placeholders allowed.\n"
        ".TP\n.BR \"batch.max_events\" \" (\" \"integer\" \", default \" \"1000\" \", range \" "
        "\"1..1000000\" \")\"\n"
        "Most events in one batch.\n"
        ".TP\n.BR \"workers\" \" (\" \"integer\" \", default \" \"auto\" \", range \" "
        "\"1..1024\" \" or auto)\"\n"
        "Threads.\n"
        ".TP\n.BR \"memory_limit\" \" (\" \"size\" \", default \" \"64MiB\" \", range \" "
        "\"1MiB..1TiB\" \")\"\n"
        "Memory.\n"
        ".TP\n.BR \"shutdown_timeout\" \" (\" \"duration\" \", default \" \"30s\" \", range \" "
        "\"0..1h\" \")\"\n"
        "Grace period.\n"
        ".TP\n.BR \"encoding\" \" (\" \"choice\" \", default \" \"ndjson\" \", one of: \" "
        "\"ndjson, raw\" \")\"\n"
        "How events are written.\n"
        ".TP\n.BR \"secret_access_key\" \" (\" \"string\" \", secret)\"\n"
        "Key.\n"
        ".TP\n.BR \"secret_access_key_file\" \" (\" \"string\" \", path)\"\n"
        "A file holding secret_access_key, to keep the secret out of the config: read once at "
        "startup (at most 64KiB, trailing newline dropped), never logged; instead of "
        "secret_access_key.\n"
        ".TP\n.BR \"token\" \" (\" \"string\" \", required, secret)\"\n"
        "Token.\n"
        ".TP\n.BR \"token_file\" \" (\" \"string\" \", path)\"\n"
        "A file holding token, to keep the secret out of the config: read once at startup (at "
        "most 64KiB, trailing newline dropped), never logged; instead of token, one of the two "
        "is required.\n"
        ".TP\n.BR \"fsync\" \" (\" \"boolean\" \", default \" \"false\" \")\"\n"
        "\\&.dotfile \\e backslash, \"quoted\"\n"
        ".TP\n.BR \"tags\" \" (\" \"list of strings\" \")\"\n"
        "\\&'quote first\n\\&.dot on line two\n"
        ".TP\n.BR \"prefix\" \" (\" \"string\" \", default \" \"\\(dq\\(dq\" \")\"\n"
        "Prefix.\n"
        ".TP\n.BR \"a_very_long_option_name_indeed\" \" (\" \"string\" \", default \" "
        "\"x\\-\\(dqy\\(dq\\ez\" \")\"\n");
    ck_assert_ptr_null(strstr(text, "dont\\-print\\-me"));
    free(text);
}
END_TEST

/* groff itself finds nothing to warn about (when groff is installed). */
START_TEST(man_text_renders_cleanly)
{
    if (access("/usr/bin/groff", X_OK) != 0)
        return;
    char path[] = "/tmp/sluice-test-man-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(".TH TEST 5\n.SH OPTIONS\n", f);
    sl_options_print_man(f, help_table);
    sl_options_print_man(f, table);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "groff -man -ww -z %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    char out[512] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    unlink(path);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(type_names)
{
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_STRING), "string");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_BOOL), "boolean");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_INT), "integer");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_SIZE), "size");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_DURATION), "duration");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_ENUM), "choice");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_STRLIST), "list of strings");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_STRMAP), "map of strings");
    ck_assert_str_eq(sl_opt_type_name(SL_OPT_NODE), "any");
}
END_TEST

START_TEST(free_resets_everything)
{
    ck_assert_uint_eq(apply("path: /x\npaths: [a, b]\nheaders: {k: v}\nlabel: l\n"), 0);
    sl_optset set = {table, &cfg};
    sl_options_free(&set, 1);
    ck_assert_ptr_null(cfg.path);
    ck_assert_ptr_null(cfg.paths.v);
    ck_assert_uint_eq(cfg.paths.n, 0);
    ck_assert_ptr_null(cfg.headers.keys);
    ck_assert_ptr_null(cfg.headers.vals);
    ck_assert_uint_eq(cfg.headers.n, 0);
    ck_assert_ptr_null(cfg.label);
    ck_assert_ptr_null(cfg.secret);
    ck_assert_ptr_null(cfg.tags.v);
    sl_options_free(&set, 1);                         /* twice is harmless */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, values_of_every_type);
    tcase_add_test(tc, defaults_apply);
    tcase_add_test(tc, absent_without_default_is_zero);
    tcase_add_test(tc, nested_options);
    tcase_add_test(tc, several_tables_and_ignored_keys);
    tcase_add_test(tc, null_or_absent_map_means_defaults);
    tcase_add_test(tc, missing_required);
    tcase_add_test(tc, unknown_options_with_suggestions);
    tcase_add_test(tc, type_errors);
    tcase_add_test(tc, type_error_leaves_zero_and_frees);
    tcase_add_test(tc, scalars_read_as_text);
    tcase_add_test(tc, range_errors_speak_in_units);
    tcase_add_test(tc, secrets_are_never_echoed);
    tcase_add_test(tc, secrets_from_files);
    tcase_add_test(tc, secret_file_problems);
    tcase_add_test(tc, required_secret_from_a_file);
    tcase_add_test(tc, error_count_is_only_this_call);
    tcase_add_test(tc, good_defaults_do_not_abort);
    tcase_add_test(tc, size_units);
    tcase_add_test(tc, duration_units);
    tcase_add_test(tc, ints_and_bools);
    tcase_add_test(tc, formatting);
    tcase_add_test(tc, did_you_mean);
    tcase_add_test(tc, edit_distance);
    tcase_add_test(tc, help_text);
    tcase_add_test(tc, man_text);
    tcase_add_test(tc, man_text_renders_cleanly);
    tcase_add_test(tc, type_names);
    tcase_add_test(tc, free_resets_everything);
    suite_add_tcase(s, tc);
    /* A table with a bad default is a bug: sluice aborts. These tests need
     * Check's fork mode (an abort would end a CK_FORK=no run, as under
     * valgrind). */
    const char *fork_mode = getenv("CK_FORK");
    if (!fork_mode || strcmp(fork_mode, "no") != 0) {
        TCase *bugs = tcase_create("table bugs");
        tcase_add_test_raise_signal(bugs, bad_default_int, SIGABRT);
        tcase_add_test_raise_signal(bugs, bad_default_out_of_range, SIGABRT);
        tcase_add_test_raise_signal(bugs, bad_default_choice, SIGABRT);
        tcase_add_test_raise_signal(bugs, choice_without_choices, SIGABRT);
        tcase_add_test_raise_signal(bugs, map_with_default, SIGABRT);
        tcase_add_test_raise_signal(bugs, secret_file_name_taken, SIGABRT);
        suite_add_tcase(s, bugs);
    }
    return sl_run_suite(s);
}
