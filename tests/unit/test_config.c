/* test_config.c: the YAML tree (positions, nulls, quoting), ${VAR}
 * expansion, every error the loader reports (text and position), file
 * loading, and the diagnostics list. */
#include "check_main.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* The diagnostics of the last load (tests run one at a time). */
static sl_diags d;

static void teardown(void) { sl_diags_free(&d); }

static sl_doc *load(const char *yaml)
{
    sl_diags_free(&d);
    return sl_doc_load_buffer("t.yaml", yaml, strlen(yaml), &d);
}

/* All the diagnostics as printed by sl_diags_print (malloc'd). */
static char *printed(const sl_diags *diags)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    sl_diags_print(diags, f);
    fclose(f);
    return text;
}

/* Load `yaml`, which must fail, and check the diagnostics printed, exactly. */
static void expect_errors(const char *yaml, const char *want)
{
    sl_doc *doc = load(yaml);
    char *got = printed(&d);
    ck_assert_msg(doc == NULL, "loading should have failed: %s", yaml);
    ck_assert_str_eq(got, want);
    free(got);
}

static const sl_node *get(const sl_doc *doc, const char *key)
{
    const sl_node *n = sl_node_get(doc->root, key);
    ck_assert_msg(n != NULL, "no key %s", key);
    return n;
}

/* ---- the tree ------------------------------------------------------------- */

START_TEST(tree_with_positions)
{
    sl_doc *doc = load("a: 1\nb:\n  - x\n  - \"y\"\nc: { k: v, k2: [1, 2] }\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_str_eq(doc->file, "t.yaml");
    const sl_node *r = doc->root;
    ck_assert_int_eq(r->kind, SL_NODE_MAP);
    ck_assert_int_eq(r->line, 1);
    ck_assert_int_eq(r->col, 1);
    ck_assert_uint_eq(r->n, 3);
    ck_assert_str_eq(r->keys[0]->str, "a");
    ck_assert_str_eq(r->keys[1]->str, "b");
    ck_assert_str_eq(r->keys[2]->str, "c");
    const sl_node *a = get(doc, "a");
    ck_assert_int_eq(a->kind, SL_NODE_SCALAR);
    ck_assert_str_eq(a->str, "1");
    ck_assert_uint_eq(a->len, 1);
    ck_assert_int_eq(a->line, 1);
    ck_assert_int_eq(a->col, 4);
    ck_assert_int_eq(r->keys[1]->line, 2);
    ck_assert_int_eq(r->keys[1]->col, 1);
    const sl_node *b = get(doc, "b");
    ck_assert_int_eq(b->kind, SL_NODE_SEQ);
    ck_assert_ptr_null(b->keys);
    ck_assert_uint_eq(b->n, 2);
    ck_assert_int_eq(b->line, 3);
    ck_assert_int_eq(b->col, 3);
    ck_assert_str_eq(b->vals[0]->str, "x");
    ck_assert_int_eq(b->vals[0]->line, 3);
    ck_assert_int_eq(b->vals[0]->col, 5);
    ck_assert_str_eq(b->vals[1]->str, "y");
    ck_assert_int_eq(b->vals[1]->line, 4);
    ck_assert_int_eq(b->vals[1]->col, 5);
    ck_assert(b->vals[1]->quoted);
    ck_assert(!b->vals[0]->quoted);
    const sl_node *c = get(doc, "c");
    ck_assert_int_eq(c->kind, SL_NODE_MAP);
    ck_assert_int_eq(c->line, 5);
    ck_assert_int_eq(c->col, 4);
    ck_assert_str_eq(sl_node_get(c, "k")->str, "v");
    ck_assert_int_eq(sl_node_get(c, "k")->line, 5);
    ck_assert_int_eq(sl_node_get(c, "k")->col, 9);
    const sl_node *k2 = sl_node_get(c, "k2");
    ck_assert_int_eq(k2->kind, SL_NODE_SEQ);
    ck_assert_int_eq(k2->vals[1]->col, 20);
    /* every node shares the document's file name */
    ck_assert_ptr_eq(a->file, doc->file);
    ck_assert_ptr_eq(k2->vals[1]->file, doc->file);
    ck_assert_ptr_eq(r->keys[2]->file, doc->file);
    ck_assert_ptr_null(sl_node_get(r, "zzz"));
    ck_assert_ptr_null(sl_node_get(a, "x"));     /* not a map */
    ck_assert_ptr_null(sl_node_get(NULL, "x"));
    sl_doc_free(doc);
}
END_TEST

START_TEST(many_items_grow)
{
    char yaml[8192] = "";
    for (int i = 0; i < 300; i++)
        sprintf(yaml + strlen(yaml), "k%d: %d\n", i, i);
    sl_doc *doc = load(yaml);
    ck_assert_ptr_nonnull(doc);
    ck_assert_uint_eq(doc->root->n, 300);
    ck_assert_str_eq(get(doc, "k0")->str, "0");
    ck_assert_str_eq(get(doc, "k299")->str, "299");
    ck_assert_int_eq(get(doc, "k299")->line, 300);
    sl_doc_free(doc);
}
END_TEST

START_TEST(kind_names)
{
    sl_doc *doc = load("m: {}\ns: []\nt: x\nn:\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(sl_node_kind_name(get(doc, "m")), "a map");
    ck_assert_str_eq(sl_node_kind_name(get(doc, "s")), "a list");
    ck_assert_str_eq(sl_node_kind_name(get(doc, "t")), "a string");
    ck_assert_str_eq(sl_node_kind_name(get(doc, "n")), "empty");
    ck_assert_str_eq(sl_node_kind_name(NULL), "nothing");
    ck_assert_uint_eq(get(doc, "m")->n, 0);
    ck_assert_uint_eq(get(doc, "s")->n, 0);
    sl_doc_free(doc);
}
END_TEST

START_TEST(nulls_and_quoting)
{
    sl_doc *doc = load("a:\nb: ~\nc: null\nd: \"\"\ne: 'null'\nf: Null\ng: NULL\nh: nULL\n"
                       "i: '~'\nj: |\n  text\nk: >\n  folded\nl: plain\n");
    ck_assert_ptr_nonnull(doc);
    static const char *const nulls[] = {"a", "b", "c", "f", "g"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
        const sl_node *n = get(doc, nulls[i]);
        ck_assert_msg(n->is_null, "%s should be null", nulls[i]);
        ck_assert_msg(!n->quoted, "%s is not quoted", nulls[i]);
        ck_assert_ptr_nonnull(n->str);
    }
    ck_assert_str_eq(get(doc, "a")->str, "");
    ck_assert_int_eq(get(doc, "b")->col, 4);
    static const char *const strings[] = {"d", "e", "h", "i", "j", "k", "l"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        ck_assert_msg(!get(doc, strings[i])->is_null, "%s is not null", strings[i]);
    ck_assert(get(doc, "d")->quoted);
    ck_assert_str_eq(get(doc, "d")->str, "");
    ck_assert(get(doc, "e")->quoted);
    ck_assert_str_eq(get(doc, "e")->str, "null");
    ck_assert(!get(doc, "h")->quoted);
    ck_assert_str_eq(get(doc, "h")->str, "nULL");
    ck_assert(get(doc, "i")->quoted);
    ck_assert(get(doc, "j")->quoted);               /* a block literal */
    ck_assert_str_eq(get(doc, "j")->str, "text\n");
    ck_assert(get(doc, "k")->quoted);
    ck_assert_str_eq(get(doc, "k")->str, "folded\n");
    ck_assert(!get(doc, "l")->quoted);
    sl_doc_free(doc);
}
END_TEST

START_TEST(empty_documents_are_not_errors)
{
    static const char *const empties[] = {"", "# only a comment\n", "---\n", "~\n",
                                          "--- # c\n...\n", "\n\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        sl_doc *doc = load(empties[i]);
        ck_assert_msg(doc != NULL, "case %zu", i);
        ck_assert_ptr_null(doc->root);
        ck_assert_uint_eq(d.n, 0);
        ck_assert_uint_eq(d.errors, 0);
        sl_doc_free(doc);
    }
}
END_TEST

START_TEST(root_of_any_kind)
{
    sl_doc *doc = load("- a\n- b\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(doc->root->kind, SL_NODE_SEQ);
    ck_assert_uint_eq(doc->root->n, 2);
    sl_doc_free(doc);
    doc = load("just text\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(doc->root->kind, SL_NODE_SCALAR);
    ck_assert_str_eq(doc->root->str, "just text");
    sl_doc_free(doc);
    doc = load("%YAML 1.1\n---\na: 1\n...\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(get(doc, "a")->str, "1");
    ck_assert_int_eq(get(doc, "a")->line, 3);
    sl_doc_free(doc);
}
END_TEST

/* ---- ${VAR} expansion ----------------------------------------------------- */

START_TEST(env_expansion)
{
    setenv("SL_T_A", "alpha", 1);
    setenv("SL_T_B", "beta", 1);
    setenv("SL_T_EMPTY", "", 1);
    unsetenv("SL_T_UNSET");
    sl_doc *doc = load("a: ${SL_T_A}\n"
                       "b: x-${SL_T_A}-${SL_T_B}-y\n"
                       "c: ${SL_T_UNSET:-fallback}\n"
                       "d: ${SL_T_EMPTY:-was empty}\n"
                       "e: ${SL_T_EMPTY}\n"
                       "f: cost $$5 and $ alone, $x, end $\n"
                       "g: ${SL_T_UNSET:-}\n"
                       "h: ${SL_T_A:-unused}\n"
                       "i: $${SL_T_A} $$$\n"
                       "j: \"q ${SL_T_A}\"\n"
                       "k: |\n  block ${SL_T_B}\n"
                       "l: [\"${SL_T_A}\", '${SL_T_B}']\n"
                       "m: ${SL_T_UNSET:-a:-b c}\n"
                       "${SL_T_A}: key\n"
                       "n: ${SL_T_A}${SL_T_B}\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_str_eq(get(doc, "a")->str, "alpha");
    ck_assert_uint_eq(get(doc, "a")->len, 5);
    ck_assert_str_eq(get(doc, "b")->str, "x-alpha-beta-y");
    ck_assert_uint_eq(get(doc, "b")->len, strlen("x-alpha-beta-y"));
    ck_assert_str_eq(get(doc, "c")->str, "fallback");
    ck_assert_str_eq(get(doc, "d")->str, "was empty");
    ck_assert_str_eq(get(doc, "e")->str, "");
    ck_assert(!get(doc, "e")->is_null);      /* null-ness is decided on the text as written */
    ck_assert_str_eq(get(doc, "f")->str, "cost $5 and $ alone, $x, end $");
    ck_assert_str_eq(get(doc, "g")->str, "");
    ck_assert_str_eq(get(doc, "h")->str, "alpha");
    ck_assert_str_eq(get(doc, "i")->str, "${SL_T_A} $$");
    ck_assert_str_eq(get(doc, "j")->str, "q alpha");
    ck_assert_str_eq(get(doc, "k")->str, "block beta\n");
    ck_assert_str_eq(get(doc, "l")->vals[0]->str, "alpha");
    ck_assert_str_eq(get(doc, "l")->vals[1]->str, "beta");
    ck_assert_str_eq(get(doc, "m")->str, "a:-b c");
    ck_assert_str_eq(get(doc, "n")->str, "alphabeta");
    /* keys are not expanded */
    ck_assert_str_eq(get(doc, "${SL_T_A}")->str, "key");
    ck_assert_ptr_null(sl_node_get(doc->root, "alpha"));
    sl_doc_free(doc);
    /* an undefined variable in a key is not an error either */
    doc = load("${SL_T_UNSET}: 1\n");
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(doc->root->keys[0]->str, "${SL_T_UNSET}");
    sl_doc_free(doc);
}
END_TEST

START_TEST(env_expansion_errors)
{
    unsetenv("SL_T_UNSET");
    setenv("SL_T_A", "alpha", 1);
    expect_errors("a: ${SL_T_UNSET}\n",
                  "t.yaml:1:4: error: undefined environment variable \"SL_T_UNSET\" "
                  "(use ${SL_T_UNSET:-default} to give a default)\n");
    expect_errors("a:\n  b:\n    - ok\n    - \"x ${SL_T_UNSET} y\"\n",
                  "t.yaml:4:7: error: undefined environment variable \"SL_T_UNSET\" "
                  "(use ${SL_T_UNSET:-default} to give a default)\n");
    expect_errors("a: x\nb: ${1BAD}\n",
                  "t.yaml:2:4: error: invalid variable reference \"${1BAD}\" (a name is letters, "
                  "digits and _, not starting with a digit)\n");
    expect_errors("a: ${}\n",
                  "t.yaml:1:4: error: invalid variable reference \"${}\" (a name is letters, "
                  "digits and _, not starting with a digit)\n");
    expect_errors("a: ${A-B}\n",
                  "t.yaml:1:4: error: invalid variable reference \"${A-B}\" (a name is letters, "
                  "digits and _, not starting with a digit)\n");
    expect_errors("a: ${SL_T_A:default}\n",
                  "t.yaml:1:4: error: invalid variable reference \"${SL_T_A:default}\" (a name "
                  "is letters, digits and _, not starting with a digit)\n");
    expect_errors("a: ${:-x}\n",
                  "t.yaml:1:4: error: invalid variable reference \"${:-x}\" (a name is letters, "
                  "digits and _, not starting with a digit)\n");
    expect_errors("a: ${NOT_CLOSED\n",
                  "t.yaml:1:4: error: unterminated \"${\" in value (write $$ for a literal $)\n");
    expect_errors("a: 'ends with ${'\n",
                  "t.yaml:1:4: error: unterminated \"${\" in value (write $$ for a literal $)\n");
    /* every bad reference is reported, in order */
    expect_errors("a: ${SL_T_UNSET} ${1X}\nb: ${SL_T_A}\nc: ${OTHER_UNSET_SL_T}\n",
                  "t.yaml:1:4: error: undefined environment variable \"SL_T_UNSET\" "
                  "(use ${SL_T_UNSET:-default} to give a default)\n"
                  "t.yaml:1:4: error: invalid variable reference \"${1X}\" (a name is letters, "
                  "digits and _, not starting with a digit)\n"
                  "t.yaml:3:4: error: undefined environment variable \"OTHER_UNSET_SL_T\" "
                  "(use ${OTHER_UNSET_SL_T:-default} to give a default)\n");
    ck_assert_uint_eq(d.errors, 3);
}
END_TEST

/* ---- YAML errors ---------------------------------------------------------- */

START_TEST(yaml_syntax_errors)
{
    expect_errors("a: 1\n  b: 2\n",
                  "t.yaml:2:4: error: mapping values are not allowed in this context\n");
    expect_errors("a: [1, 2\nb: 3\n",
                  "t.yaml:2:2: error: did not find expected ',' or ']' while parsing a flow "
                  "sequence that starts at line 1, column 4\n");
    expect_errors("a:\n\tb: 1\n",
                  "t.yaml:2:1: error: found character that cannot start any token while "
                  "scanning for the next token that starts at line 2, column 1\n");
    expect_errors("a: \"open\n",
                  "t.yaml:2:1: error: found unexpected end of stream while scanning a quoted "
                  "scalar that starts at line 1, column 4\n");
    /* reader errors carry an offset, not a mark: the position is computed */
    expect_errors("a: 1\nb: \xff\n", "t.yaml:2:4: error: invalid leading UTF-8 octet\n");
    ck_assert_uint_eq(d.errors, 1);
    ck_assert_uint_eq(d.warnings, 0);
}
END_TEST

START_TEST(duplicate_keys)
{
    expect_errors("a: 1\nb: 2\na: 3\n",
                  "t.yaml:3:1: error: duplicate key \"a\" (first defined at line 1)\n");
    expect_errors("m:\n  x: 1\n  x: 2\n",
                  "t.yaml:3:3: error: duplicate key \"x\" (first defined at line 2)\n");
    expect_errors("workers: 1\n'workers': 2\nm: {k: 1, k: 2}\nworkers: 3\n",
                  "t.yaml:2:1: error: duplicate key \"workers\" (first defined at line 1)\n"
                  "t.yaml:3:11: error: duplicate key \"k\" (first defined at line 3)\n"
                  "t.yaml:4:1: error: duplicate key \"workers\" (first defined at line 1)\n");
    /* the same key in different maps is fine */
    sl_doc *doc = load("a: {x: 1}\nb: {x: 2}\n");
    ck_assert_ptr_nonnull(doc);
    sl_doc_free(doc);
}
END_TEST

START_TEST(unsupported_yaml_features)
{
    expect_errors("a: &x 1\nb: *x\n",
                  "t.yaml:1:4: error: YAML anchors and aliases are not supported\n"
                  "t.yaml:2:4: error: YAML anchors and aliases are not supported\n");
    expect_errors("base: &b\n  k: v\nlist: &l [1]\n",
                  "t.yaml:1:7: error: YAML anchors and aliases are not supported\n"
                  "t.yaml:3:7: error: YAML anchors and aliases are not supported\n");
    expect_errors("a: !!str 1\n", "t.yaml:1:4: error: YAML tags are not supported\n");
    expect_errors("a: !!map {x: 1}\nb: !custom [1]\nc: ! x\n",
                  "t.yaml:1:4: error: YAML tags are not supported\n"
                  "t.yaml:2:4: error: YAML tags are not supported\n"
                  "t.yaml:3:4: error: YAML tags are not supported\n");
    expect_errors("a: 1\n---\nb: 2\n",
                  "t.yaml:2:1: error: more than one YAML document (---): a config is one "
                  "document\n");
    expect_errors("? [a, b]\n: 1\n", "t.yaml:1:3: error: a key must be a string, not a list\n");
    expect_errors("x: 1\n? {k: v}\n: 2\n", "t.yaml:2:3: error: a key must be a string, not a map\n");
}
END_TEST

START_TEST(errors_are_all_collected)
{
    unsetenv("SL_T_UNSET");
    expect_errors("a: 1\na: 2\nb: *nothing\nc: ${SL_T_UNSET}\nd: !!int 4\n",
                  "t.yaml:2:1: error: duplicate key \"a\" (first defined at line 1)\n"
                  "t.yaml:3:4: error: YAML anchors and aliases are not supported\n"
                  "t.yaml:4:4: error: undefined environment variable \"SL_T_UNSET\" "
                  "(use ${SL_T_UNSET:-default} to give a default)\n"
                  "t.yaml:5:4: error: YAML tags are not supported\n");
    ck_assert_uint_eq(d.errors, 4);
    /* errors then a syntax error: all reported */
    expect_errors("a: 1\na: 2\nb: [\n",
                  "t.yaml:2:1: error: duplicate key \"a\" (first defined at line 1)\n"
                  "t.yaml:4:1: error: did not find expected node content while parsing a flow "
                  "node that starts at line 4, column 1\n");
}
END_TEST

START_TEST(limits)
{
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_buffer("t.yaml", deep, sizeof deep, &d));
    char *got = printed(&d);
    ck_assert_str_eq(got, "t.yaml:1:65: error: nested deeper than 64 levels\n");
    free(got);
    /* 64 levels are fine */
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    sl_diags_free(&d);
    sl_doc *doc = sl_doc_load_buffer("t.yaml", deep, 128, &d);
    ck_assert_ptr_nonnull(doc);
    sl_doc_free(doc);

    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_buffer("t.yaml", "a: 1\nb: \0x\n", 10, &d));
    got = printed(&d);
    ck_assert_str_eq(got, "t.yaml:2:4: error: a NUL byte: this is not a text file\n");
    free(got);
    expect_errors("a: \"x\\0y\"\n",
                  "t.yaml:1:4: error: a NUL character (\\0) in a value is not supported\n");

    size_t big = SL_CONFIG_MAX_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, '#', big);
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_buffer("t.yaml", huge, big, &d));
    got = printed(&d);
    ck_assert_str_eq(got, "t.yaml: error: the file is larger than 4194304 bytes, too large for "
                          "a config (is it the right file?)\n");
    free(got);
    /* exactly the limit is accepted */
    sl_diags_free(&d);
    doc = sl_doc_load_buffer("t.yaml", huge, big - 1, &d);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_null(doc->root);
    sl_doc_free(doc);
    free(huge);
}
END_TEST

/* ---- files ---------------------------------------------------------------- */

static char *temp_file(const char *content, size_t len)
{
    char *path = strdup("/tmp/sluice-test-config-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

START_TEST(load_file)
{
    char *path = temp_file("service:\n  workers: 4\n", 22);
    sl_diags_free(&d);
    sl_doc *doc = sl_doc_load_file(path, &d);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(doc->file, path);
    const sl_node *w = sl_node_get(get(doc, "service"), "workers");
    ck_assert_str_eq(w->str, "4");
    ck_assert_str_eq(w->file, path);
    ck_assert_int_eq(w->line, 2);
    ck_assert_int_eq(w->col, 12);
    sl_doc_free(doc);
    unlink(path);
    free(path);

    path = temp_file("a: 1\n  b: 2\n", 12);
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file(path, &d));
    char want[256];
    snprintf(want, sizeof want, "%s:2:4: error: mapping values are not allowed in this context\n",
             path);
    char *got = printed(&d);
    ck_assert_str_eq(got, want);
    free(got);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(file_errors)
{
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file("/nonexistent/sluice.yaml", &d));
    char *got = printed(&d);
    ck_assert_str_eq(got, "/nonexistent/sluice.yaml: error: cannot read "
                          "/nonexistent/sluice.yaml: No such file or directory\n");
    free(got);
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file("/tmp", &d));
    got = printed(&d);
    ck_assert_str_eq(got, "/tmp: error: cannot read /tmp: Is a directory\n");
    free(got);

    size_t big = SL_CONFIG_MAX_BYTES + 10;
    char *huge = malloc(big);
    memset(huge, '\n', big);
    char *path = temp_file(huge, big);
    free(huge);
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file(path, &d));
    char want[256];
    snprintf(want, sizeof want, "%s: error: the file is larger than 4194304 bytes, too large for "
                                "a config (is it the right file?)\n", path);
    got = printed(&d);
    ck_assert_str_eq(got, want);
    free(got);

    if (geteuid() != 0) {       /* root reads anything */
        chmod(path, 0);
        sl_diags_free(&d);
        ck_assert_ptr_null(sl_doc_load_file(path, &d));
        snprintf(want, sizeof want, "%s: error: cannot read %s: Permission denied\n", path, path);
        got = printed(&d);
        ck_assert_str_eq(got, want);
        free(got);
    }
    unlink(path);
    free(path);

    /* an empty file is an empty document */
    path = temp_file("", 0);
    sl_diags_free(&d);
    sl_doc *doc = sl_doc_load_file(path, &d);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_null(doc->root);
    ck_assert_uint_eq(d.n, 0);
    sl_doc_free(doc);
    unlink(path);
    free(path);
}
END_TEST

/* A config anyone may change is refused; one its group may change is a
 * warning; so for its directory (unless sticky, like /tmp). */
START_TEST(file_permissions)
{
    char dir[] = "/tmp/sluice-test-perm-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128], want[512];
    snprintf(path, sizeof path, "%s/c.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs("a: 1\n", f);
    fclose(f);

    chmod(path, 0666);
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file(path, &d));
    snprintf(want, sizeof want, "%s: error: the config file is writable by every user (mode "
             "0666): anyone could change what sluice reads, runs and where it sends events; fix "
             "it with: chmod o-w %s\n", path, path);
    char *got = printed(&d);
    ck_assert_str_eq(got, want);
    free(got);

    chmod(path, 0620);
    sl_diags_free(&d);
    sl_doc *doc = sl_doc_load_file(path, &d);
    ck_assert_ptr_nonnull(doc);
    sl_doc_free(doc);
    ck_assert_uint_eq(d.errors, 0);
    ck_assert_uint_eq(d.warnings, 1);
    got = printed(&d);
    ck_assert_ptr_nonnull(strstr(got, "warning: the config file is writable by its group"));
    ck_assert_ptr_nonnull(strstr(got, "chmod g-w"));
    free(got);

    chmod(path, 0600);
    chmod(dir, 0777);
    sl_diags_free(&d);
    ck_assert_ptr_null(sl_doc_load_file(path, &d));
    got = printed(&d);
    snprintf(want, sizeof want, "%s: error: the config's directory %s is writable by every "
             "user (mode 0777, no sticky bit): anyone could replace the config; fix it with: "
             "chmod o-w %s\n", path, dir, dir);
    ck_assert_str_eq(got, want);
    free(got);

    chmod(dir, 01777);
    sl_diags_free(&d);
    doc = sl_doc_load_file(path, &d);
    ck_assert_ptr_nonnull(doc);
    ck_assert_uint_eq(d.n, 0);
    sl_doc_free(doc);

    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(load_from_a_pipe)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "a: piped\n", 9), 9);
    close(fds[1]);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    sl_diags_free(&d);
    sl_doc *doc = sl_doc_load_file(path, &d);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(get(doc, "a")->str, "piped");
    sl_doc_free(doc);
    close(fds[0]);
}
END_TEST

/* ---- diagnostics ---------------------------------------------------------- */

START_TEST(diag_counts_and_order)
{
    sl_doc *doc = load("a: 1\n");
    ck_assert_ptr_nonnull(doc);
    sl_diag_warn(&d, doc->root, "careful %d", 7);
    sl_diag_error(&d, get(doc, "a"), "bad %s", "value");
    sl_diag_at(&d, SL_DIAG_ERROR, NULL, 0, 0, "no place");
    sl_diag_at(&d, SL_DIAG_WARNING, "f.yaml", 0, 0, "a whole file");
    sl_diag_at(&d, SL_DIAG_ERROR, "f.yaml", 12, 5, "at %s", "a place");
    sl_diag_error(&d, NULL, "no node");
    ck_assert_uint_eq(d.n, 6);
    ck_assert_uint_eq(d.errors, 4);
    ck_assert_uint_eq(d.warnings, 2);
    ck_assert_int_eq(d.v[0].level, SL_DIAG_WARNING);
    ck_assert_int_eq(d.v[1].level, SL_DIAG_ERROR);
    char *got = printed(&d);
    ck_assert_str_eq(got, "t.yaml:1:1: warning: careful 7\n"
                          "t.yaml:1:4: error: bad value\n"
                          "error: no place\n"
                          "f.yaml: warning: a whole file\n"
                          "f.yaml:12:5: error: at a place\n"
                          "error: no node\n");
    free(got);
    sl_doc_free(doc);
    sl_diags_free(&d);
    ck_assert_uint_eq(d.n, 0);
    ck_assert_uint_eq(d.errors, 0);
    ck_assert_uint_eq(d.warnings, 0);
    ck_assert_ptr_null(d.v);
}
END_TEST

START_TEST(long_messages_are_kept_whole)
{
    char word[3001];
    memset(word, 'w', 3000);
    word[3000] = 0;
    sl_diags_free(&d);
    for (int i = 0; i < 40; i++)    /* and the list grows */
        sl_diag_at(&d, SL_DIAG_ERROR, "f", 1, 2, "%d %s", i, word);
    ck_assert_uint_eq(d.n, 40);
    ck_assert_uint_eq(strlen(d.v[39].text), strlen("f:1:2: error: 39 ") + 3000);
    ck_assert(strncmp(d.v[39].text, "f:1:2: error: 39 www", 20) == 0);
}
END_TEST

START_TEST(failed_load_only_counts_its_own_errors)
{
    sl_diags_free(&d);
    sl_diag_at(&d, SL_DIAG_ERROR, NULL, 0, 0, "an earlier error");
    sl_doc *doc = sl_doc_load_buffer("t.yaml", "a: 1\n", 5, &d);
    ck_assert_ptr_nonnull(doc);      /* earlier errors do not fail this load */
    sl_doc_free(doc);
    ck_assert_uint_eq(d.errors, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, tree_with_positions);
    tcase_add_test(tc, many_items_grow);
    tcase_add_test(tc, kind_names);
    tcase_add_test(tc, nulls_and_quoting);
    tcase_add_test(tc, empty_documents_are_not_errors);
    tcase_add_test(tc, root_of_any_kind);
    tcase_add_test(tc, env_expansion);
    tcase_add_test(tc, env_expansion_errors);
    tcase_add_test(tc, yaml_syntax_errors);
    tcase_add_test(tc, duplicate_keys);
    tcase_add_test(tc, unsupported_yaml_features);
    tcase_add_test(tc, errors_are_all_collected);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, load_file);
    tcase_add_test(tc, file_errors);
    tcase_add_test(tc, file_permissions);
    tcase_add_test(tc, load_from_a_pipe);
    tcase_add_test(tc, diag_counts_and_order);
    tcase_add_test(tc, long_messages_are_kept_whole);
    tcase_add_test(tc, failed_load_only_counts_its_own_errors);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
