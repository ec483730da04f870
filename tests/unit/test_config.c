/* test_config.c: the YAML tree (positions, nulls, quoting), ${VAR}
 * expansion, and the errors the loader reports. */
#include "check_main.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static sl_diags d;

static sl_doc *load(const char *yaml)
{
    sl_diags_free(&d);
    return sl_doc_load_buffer("t.yaml", yaml, strlen(yaml), &d);
}

/* The diagnostics as one string, one per line. */
static const char *diags(void)
{
    static char out[4096];
    out[0] = 0;
    for (size_t i = 0; i < d.n; i++) {
        strncat(out, d.v[i].text, sizeof out - strlen(out) - 2);
        strcat(out, "\n");
    }
    return out;
}

START_TEST(tree_with_positions)
{
    sl_doc *doc = load("a: 1\nb:\n  - x\n  - \"y\"\nc: { k: v }\n");
    ck_assert_ptr_nonnull(doc);
    const sl_node *r = doc->root;
    ck_assert_int_eq(r->kind, SL_NODE_MAP);
    ck_assert_uint_eq(r->n, 3);
    const sl_node *a = sl_node_get(r, "a");
    ck_assert_str_eq(a->str, "1");
    ck_assert_int_eq(a->line, 1);
    ck_assert_int_eq(a->col, 4);
    ck_assert_int_eq(r->keys[1]->line, 2);
    ck_assert_int_eq(r->keys[1]->col, 1);
    const sl_node *b = sl_node_get(r, "b");
    ck_assert_int_eq(b->kind, SL_NODE_SEQ);
    ck_assert_uint_eq(b->n, 2);
    ck_assert_int_eq(b->vals[1]->line, 4);
    ck_assert_int_eq(b->vals[1]->col, 5);
    ck_assert(b->vals[1]->quoted);
    ck_assert(!b->vals[0]->quoted);
    const sl_node *c = sl_node_get(r, "c");
    ck_assert_str_eq(sl_node_get(c, "k")->str, "v");
    ck_assert_int_eq(sl_node_get(c, "k")->col, 9);
    ck_assert_ptr_null(sl_node_get(r, "zzz"));
    ck_assert_ptr_null(sl_node_get(a, "x"));     /* not a map */
    ck_assert_str_eq(sl_node_kind_name(b), "a list");
    ck_assert_str_eq(sl_node_kind_name(c), "a map");
    sl_doc_free(doc);
}
END_TEST

START_TEST(nulls_and_quoted_empties)
{
    sl_doc *doc = load("a:\nb: ~\nc: null\nd: \"\"\ne: 'null'\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert(sl_node_get(doc->root, "a")->is_null);
    ck_assert(sl_node_get(doc->root, "b")->is_null);
    ck_assert(sl_node_get(doc->root, "c")->is_null);
    ck_assert(!sl_node_get(doc->root, "d")->is_null);
    ck_assert(!sl_node_get(doc->root, "e")->is_null);
    ck_assert_str_eq(sl_node_get(doc->root, "e")->str, "null");
    sl_doc_free(doc);
}
END_TEST

START_TEST(empty_document_is_not_an_error)
{
    sl_doc *doc = load("# only a comment\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_null(doc->root);
    ck_assert_uint_eq(d.errors, 0);
    sl_doc_free(doc);
}
END_TEST

START_TEST(env_expansion)
{
    setenv("SL_T_A", "alpha", 1);
    setenv("SL_T_EMPTY", "", 1);
    unsetenv("SL_T_UNSET");
    sl_doc *doc = load("a: ${SL_T_A}\n"
                       "b: x-${SL_T_A}-${SL_T_A}-y\n"
                       "c: ${SL_T_UNSET:-fallback}\n"
                       "d: ${SL_T_EMPTY:-was empty}\n"
                       "e: ${SL_T_EMPTY}\n"
                       "f: cost $$5 and $ alone\n"
                       "g: ${SL_T_UNSET:-}\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(sl_node_get(doc->root, "a")->str, "alpha");
    ck_assert_str_eq(sl_node_get(doc->root, "b")->str, "x-alpha-alpha-y");
    ck_assert_str_eq(sl_node_get(doc->root, "c")->str, "fallback");
    ck_assert_str_eq(sl_node_get(doc->root, "d")->str, "was empty");
    ck_assert_str_eq(sl_node_get(doc->root, "e")->str, "");
    ck_assert_str_eq(sl_node_get(doc->root, "f")->str, "cost $5 and $ alone");
    ck_assert_str_eq(sl_node_get(doc->root, "g")->str, "");
    ck_assert_uint_eq(sl_node_get(doc->root, "b")->len, strlen("x-alpha-alpha-y"));
    sl_doc_free(doc);
}
END_TEST

START_TEST(env_expansion_errors)
{
    unsetenv("SL_T_UNSET");
    ck_assert_ptr_null(load("a: ${SL_T_UNSET}\n"));
    ck_assert_str_eq(diags(), "t.yaml:1:4: error: undefined environment variable \"SL_T_UNSET\" "
                              "(use ${SL_T_UNSET:-default} to give a default)\n");
    ck_assert_ptr_null(load("a: x\nb: ${1BAD}\n"));
    ck_assert_str_eq(diags(), "t.yaml:2:4: error: invalid variable reference \"${1BAD}\" (a name "
                              "is letters, digits and _, not starting with a digit)\n");
    ck_assert_ptr_null(load("a: ${NOT_CLOSED\n"));
    ck_assert_str_eq(diags(), "t.yaml:1:4: error: unterminated \"${\" in value (write $$ for a "
                              "literal $)\n");
    ck_assert_ptr_null(load("a: ${}\n"));
    ck_assert_uint_eq(d.errors, 1);
}
END_TEST

START_TEST(yaml_errors_with_positions)
{
    ck_assert_ptr_null(load("a: [1, 2\nb: 3\n"));
    ck_assert_uint_eq(d.errors, 1);
    ck_assert_ptr_nonnull(strstr(diags(), "t.yaml:2:2: error: did not find expected ',' or ']' "
                                          "while parsing a flow sequence that starts at line 1, "
                                          "column 4"));
    ck_assert_ptr_null(load("a: 1\n  b: 2\n"));
    ck_assert_ptr_nonnull(strstr(diags(), "t.yaml:2:4: error: mapping values are not allowed"));
}
END_TEST

START_TEST(duplicate_keys)
{
    ck_assert_ptr_null(load("a: 1\nb: 2\na: 3\n"));
    ck_assert_str_eq(diags(), "t.yaml:3:1: error: duplicate key \"a\" (first defined at line 1)\n");
    ck_assert_ptr_null(load("m:\n  x: 1\n  x: 2\n"));
    ck_assert_str_eq(diags(), "t.yaml:3:3: error: duplicate key \"x\" (first defined at line 2)\n");
}
END_TEST

START_TEST(unsupported_yaml_features)
{
    ck_assert_ptr_null(load("a: &x 1\nb: *x\n"));
    ck_assert_str_eq(diags(), "t.yaml:1:4: error: YAML anchors and aliases are not supported\n"
                              "t.yaml:2:4: error: YAML anchors and aliases are not supported\n");
    ck_assert_ptr_null(load("a: !!str 1\n"));
    ck_assert_str_eq(diags(), "t.yaml:1:4: error: YAML tags are not supported\n");
    ck_assert_ptr_null(load("a: 1\n---\nb: 2\n"));
    ck_assert_ptr_nonnull(strstr(diags(), "t.yaml:2:1: error: more than one YAML document"));
    ck_assert_ptr_null(load("? [a, b]\n: 1\n"));
    ck_assert_str_eq(diags(), "t.yaml:1:3: error: a key must be a plain string, not a list\n");
}
END_TEST

START_TEST(limits)
{
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    ck_assert_ptr_null(sl_doc_load_buffer("t.yaml", deep, sizeof deep, (sl_diags_free(&d), &d)));
    ck_assert_ptr_nonnull(strstr(diags(), "nested deeper than 64 levels"));
    ck_assert_ptr_null(sl_doc_load_buffer("t.yaml", "a: 1\nb: \0x\n", 10, (sl_diags_free(&d), &d)));
    ck_assert_str_eq(diags(), "t.yaml:2:4: error: a NUL byte: this is not a text file\n");
    size_t big = SL_CONFIG_MAX_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, '#', big);
    ck_assert_ptr_null(sl_doc_load_buffer("t.yaml", huge, big, (sl_diags_free(&d), &d)));
    ck_assert_ptr_nonnull(strstr(diags(), "more than the 4194304 a config may have"));
    free(huge);
}
END_TEST

START_TEST(missing_file)
{
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file("/nonexistent/sluice.yaml", &d));
    ck_assert_str_eq(diags(), "/nonexistent/sluice.yaml: error: cannot read "
                              "/nonexistent/sluice.yaml: No such file or directory\n");
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file("/tmp", &d));
    ck_assert_ptr_nonnull(strstr(diags(), "not a regular file"));
}
END_TEST

START_TEST(diag_counts_and_warnings)
{
    sl_diags_free(&d);
    sl_doc *doc = load("a: 1\n");
    sl_diag_warn(&d, doc->root, "careful %d", 7);
    sl_diag_error(&d, sl_node_get(doc->root, "a"), "bad");
    sl_diag_at(&d, SL_DIAG_ERROR, NULL, 0, 0, "no place");
    ck_assert_uint_eq(d.errors, 2);
    ck_assert_uint_eq(d.warnings, 1);
    ck_assert_str_eq(diags(), "t.yaml:1:1: warning: careful 7\nt.yaml:1:4: error: bad\n"
                              "error: no place\n");
    sl_doc_free(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, tree_with_positions);
    tcase_add_test(tc, nulls_and_quoted_empties);
    tcase_add_test(tc, empty_document_is_not_an_error);
    tcase_add_test(tc, env_expansion);
    tcase_add_test(tc, env_expansion_errors);
    tcase_add_test(tc, yaml_errors_with_positions);
    tcase_add_test(tc, duplicate_keys);
    tcase_add_test(tc, unsupported_yaml_features);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, diag_counts_and_warnings);
    suite_add_tcase(s, tc);
    int rc = sl_run_suite(s);
    sl_diags_free(&d);
    return rc;
}
