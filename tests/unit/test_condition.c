/* test_condition.c: the condition language (src/handlers/condition.c):
 * an evaluation table over one event, precedence, the map form through the
 * same evaluator, and parse errors with file:line:column. */
#include "check_main.h"
#include "handler_harness.h"
#include "handlers/condition.h"

static sl_event *sample_event(sl_chunk *c)
{
    sl_event *ev = hh_event(c, "hello world error");
    sl_event_set_int(ev, "status", 503);
    sl_event_set_string(ev, "path", "/api/v1/users", 13);
    sl_event_set_string(ev, "method", "GET", 3);
    sl_event_set_string(ev, "code", "404", 3);
    sl_event_set_string(ev, "esc", "a\"b\\c\n", 6);
    sl_event_set_string(ev, "odd.name", "x", 1);
    sl_event_set_string(ev, "empty", "", 0);
    sl_event_set_int(ev, "big", 9007199254740993LL);
    sl_value *v = sl_event_set(ev, "ratio", 5);
    v->type = SL_VAL_FLOAT;
    v->u.f = 0.25;
    v = sl_event_set(ev, "ok", 2);
    v->type = SL_VAL_BOOL;
    v->u.b = true;
    v = sl_event_set(ev, "nothing", 7);
    v->type = SL_VAL_NULL;
    sl_fields *m = sl_fields_new_map(c);
    v = sl_fields_set(c, m, "status", 6);
    v->type = SL_VAL_INT;
    v->u.i = 200;
    v = sl_fields_set(c, m, "user-agent", 10);
    v->type = SL_VAL_STRING;
    v->u.s.p = "curl/8.5";
    v->u.s.n = 8;
    v = sl_event_set(ev, "http", 4);
    v->type = SL_VAL_MAP;
    v->u.map = m;
    return ev;
}

static const struct {
    const char *expr;
    bool want;
} table[] = {
    {"status >= 500", true},
    {"status > 503", false},
    {"status == 503", true},
    {"status == \"503\"", true},          /* text of the number */
    {"status != 503", false},
    {"status != 500", true},
    {"500 <= status", true},
    {"code == 404", true},                /* a string field holding a number */
    {"code < 500", true},
    {"code < \"5\"", true},               /* byte-wise: "404" < "5" */
    {"code == \"404.0\"", false},
    {"code == 404.0", true},
    {"\"10\" < 9", true},                 /* a string literal is text */
    {"path prefix \"/api\"", true},
    {"path suffix \"users\"", true},
    {"path contains \"v1\"", true},
    {"path contains \"v2\"", false},
    {"path prefix \"\"", true},
    {"path =~ \"^/api/v\\d+/\"", true},
    {"path =~ \"^/API\"", false},
    {"path =~ \"(?i)^/API\"", true},
    {"path !~ \"^/health\"", true},
    {"path !~ \"^/api\"", false},
    {"status =~ \"^5\\\\d\\\\d$\"", true},  /* \\ is a backslash */
    {"missing == 1", false},
    {"missing != 1", false},              /* a missing field: false, != too */
    {"missing !~ \"x\"", false},
    {"missing prefix \"\"", false},
    {"not exists(missing)", true},
    {"exists missing", false},
    {"exists(status)", true},
    {"exists http.status", true},
    {"http.status == 200", true},
    {"http.status.x == 200", false},
    {"http.`user-agent` prefix \"curl/\"", true},
    {"`odd.name` == \"x\"", true},
    {"odd.name == \"x\"", false},          /* a path: odd -> name */
    {"ok == true", true},
    {"ok != false", true},
    {"ok == \"true\"", true},
    {"nothing == null", true},
    {"status == null", false},
    {"nothing != null", false},
    {"ratio < 0.5", true},
    {"ratio == 0.25", true},
    {"ratio >= 2.5e-1", true},
    {"big == 9007199254740993", true},    /* integers compare exactly */
    {"big == 9007199254740992", false},
    {"big > 9007199254740992", true},
    {"esc == \"a\\\"b\\\\c\\n\"", true},
    {"esc == \"a\\x22b\\x5cc\\x0a\"", true},
    {"empty == \"\"", true},
    {"method == \"GET\" and (status < 400 or path prefix \"/api\")", true},
    {"method == \"GET\" and status < 400 or path prefix \"/api\"", true},
    {"method == \"POST\" and status < 400 or path prefix \"/x\"", false},
    {"false or true and false", false},   /* and binds tighter */
    {"true || false && false", true},
    {"not not true", true},
    {"!(status >= 500)", false},
    {"! status >= 500", false},
    {"not status >= 500 or ok == true", true},
    {"status >= 500 and not path =~ \"^/health\"", true},
    {"message contains \"error\"", true},
    {"message =~ \"^hello\"", true},
    {"exists(message)", true},
    {"\"abc\" < \"abd\"", true},
    {"method < \"Z\"", true},
    {"method >= \"get\"", false},         /* bytes: 'G' < 'g' */
    {"http == 1", false},                 /* a map compares to nothing */
    {"http != 1", true},
    {"true", true},
    {"false", false},
    {"( ( ( true ) ) )", true},
    {"status\t>=\n500", true},
};

START_TEST(evaluation_table)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sample_event(c);
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        sl_condition_error err;
        sl_condition *cond = sl_condition_parse(table[i].expr, strlen(table[i].expr), &err);
        ck_assert_msg(cond, "%s: %s (at %zu)", table[i].expr, err.msg, err.offset);
        ck_assert_msg(sl_condition_eval(cond, ev) == table[i].want, "%s: want %s",
                      table[i].expr, table[i].want ? "true" : "false");
        sl_condition_free(cond);
    }
    sl_chunk_discard(c);
}
END_TEST

/* The map form compiles into the same tree (and keeps its own rules). */
START_TEST(map_form)
{
    static const struct {
        const char *yaml;
        bool want;
    } maps[] = {
        {"{ field: status, ge: 500 }", true},
        {"{ field: code, equals: 404 }", true},
        {"{ field: code, equals: '404.0' }", false},       /* string field: bytes */
        {"{ field: status, equals: 503.0 }", true},
        {"{ field: status, matches: '^5' }", false},       /* matches: strings only */
        {"{ field: path, matches: '^/api' }", true},
        {"{ field: ok, equals: true }", true},
        {"{ field: nothing, equals: }", true},
        {"{ field: missing, not_equals: 1 }", false},
        {"{ field: http.status, lt: 300 }", true},
        {"{ any: [ { exists: missing }, { not: { field: method, equals: POST } } ] }", true},
        {"{ all: [ { exists: method }, { field: method, equals: POST } ] }", false},
    };
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sample_event(c);
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
        sl_diags d = {0};
        sl_doc *doc = sl_doc_load_buffer("t.yaml", maps[i].yaml, strlen(maps[i].yaml), &d);
        ck_assert_ptr_nonnull(doc);
        sl_condition *cond = sl_condition_from_node(doc->root, "c", &d);
        ck_assert_msg(cond, "%s: %s", maps[i].yaml, d.n ? d.v[0].text : "");
        ck_assert_msg(sl_condition_eval(cond, ev) == maps[i].want, "%s", maps[i].yaml);
        sl_condition_free(cond);
        sl_doc_free(doc);
        sl_diags_free(&d);
    }
    sl_chunk_discard(c);
}
END_TEST

/* yaml is a whole document `c: ...`; the first error must start with
 * `want_at` and contain `want`. */
static void bad(const char *yaml, const char *want_at, const char *want)
{
    sl_diags d = {0};
    sl_doc *doc = sl_doc_load_buffer("test.yaml", yaml, strlen(yaml), &d);
    ck_assert_msg(doc, "%s: %s", yaml, d.n ? d.v[0].text : "");
    sl_condition *cond = sl_condition_from_node(sl_node_get(doc->root, "c"), "cond", &d);
    ck_assert_msg(!cond, "accepted: %s", yaml);
    ck_assert_int_eq(d.errors, 1);
    ck_assert_msg(strncmp(d.v[0].text, want_at, strlen(want_at)) == 0 && strstr(d.v[0].text, want),
                  "%s: got \"%s\", want %s ... %s", yaml, d.v[0].text, want_at, want);
    sl_doc_free(doc);
    sl_diags_free(&d);
}

START_TEST(parse_errors)
{
    /* c: '...': the text starts at column 5 */
    bad("c: 'status >= '", "test.yaml:1:15:", "expected a field or a value after the operator");
    bad("c: 'status >= 500 and'", "test.yaml:1:22:", "expected a comparison");
    bad("c: 'status = 5'", "test.yaml:1:12:", "'=' is not an operator: use ==");
    bad("c: '(status > 1'", "test.yaml:1:16:", "expected ')'");
    bad("c: 'status > 1)'", "test.yaml:1:15:", "unmatched ')'");
    bad("c: 'path =~ \"(\"'", "test.yaml:1:15:", "invalid regular expression");
    bad("c: 'path =~ 5'", "test.yaml:1:13:", "=~ takes a regular expression");
    bad("c: 'path !~ other'", "test.yaml:1:13:", "!~ takes a regular expression");
    bad("c: '\"abc'", "test.yaml:1:5:", "unterminated string");
    bad("c: 'status > 5x'", "test.yaml:1:14:", "invalid number \"5x\"");
    bad("c: 'status'", "test.yaml:1:5:", "a field alone is not a condition");
    bad("c: '5'", "test.yaml:1:6:", "expected an operator");
    bad("c: 'a == 1 b == 2'", "test.yaml:1:12:", "expected 'and', 'or' or the end");
    bad("c: 'a == 1 == 2'", "test.yaml:1:12:", "unexpected operator");
    bad("c: 'status # 5'", "test.yaml:1:12:", "unexpected character '#'");
    bad("c: 'a & b'", "test.yaml:1:7:", "use and");
    bad("c: 'exists(5)'", "test.yaml:1:12:", "exists takes a field name");
    bad("c: 'exists(a'", "test.yaml:1:13:", "expected ')' to close exists(");
    bad("c: '`` == 1'", "test.yaml:1:5:", "empty field name");
    bad("c: '`ab == 1'", "test.yaml:1:5:", "unterminated field name");
    bad("c: 'a. == 1'", "test.yaml:1:7:", "expected a field name after '.'");
    bad("c: 'a == \"\\x4\"'", "test.yaml:1:11:", "\\x takes two hex digits");
    bad("c: 'and'", "test.yaml:1:5:", "expected a comparison");
    bad("c: ''", "test.yaml:1:4:", "empty condition");
    bad("c: '   '", "test.yaml:1:5:", "empty condition");
    bad("c: 'a == é'", "test.yaml:1:10:", "unexpected byte");
    /* plain and double-quoted scalars; a column counts characters */
    bad("c: status >=", "test.yaml:1:13:", "expected a field or a value");
    bad("c: \"é == 1 or\"", "test.yaml:1:5:", "unexpected byte");
    bad("c: \"x == 'é' or\"", "test.yaml:1:10:", "unexpected character");
    /* a block scalar: the line of the offending token */
    bad("c: |\n  status >= 500 and\n  foo\n", "test.yaml:3:", "a field alone");
    /* the map form names the offending node */
    bad("c:\n  any:\n    - { field: a, lt: ten }\n", "test.yaml:3:23:", "'lt' takes a number");
    bad("c: [ a ]", "test.yaml:1:4:", "must be a map");
}
END_TEST

START_TEST(limits)
{
    sl_condition_error err;
    char buf[SL_CONDITION_MAX_LEN + 16];
    /* 64 levels of parentheses are fine, 65 are not */
    for (int depth = 64; depth <= 65; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++)
            buf[n++] = '(';
        memcpy(buf + n, "true", 4);
        n += 4;
        for (int i = 0; i < depth; i++)
            buf[n++] = ')';
        sl_condition *c = sl_condition_parse(buf, n, &err);
        if (depth == 64) {
            ck_assert_msg(c, "%s", err.msg);
            sl_condition_free(c);
        } else {
            ck_assert_ptr_null(c);
            ck_assert_msg(strstr(err.msg, "nested too deeply"), "%s", err.msg);
            ck_assert_uint_eq(err.offset, 64);
        }
    }
    size_t n = 0;
    for (int i = 0; i < 100; i++) {
        memcpy(buf + n, "not ", 4);
        n += 4;
    }
    memcpy(buf + n, "true", 4);
    ck_assert_ptr_null(sl_condition_parse(buf, n + 4, &err));
    ck_assert_msg(strstr(err.msg, "nested too deeply"), "%s", err.msg);
    /* long and/or chains are flat, not deep */
    n = 0;
    while (n + 12 < SL_CONDITION_MAX_LEN) {
        memcpy(buf + n, "a == 1 or ", 10);
        n += 10;
    }
    memcpy(buf + n, "true", 4);
    sl_condition *c = sl_condition_parse(buf, n + 4, &err);
    ck_assert_msg(c, "%s", err.msg);
    sl_condition_free(c);
    memset(buf, ' ', sizeof buf);
    ck_assert_ptr_null(sl_condition_parse(buf, SL_CONDITION_MAX_LEN + 1, &err));
    ck_assert_msg(strstr(err.msg, "too long"), "%s", err.msg);
}
END_TEST

START_TEST(field_text_and_hash)
{
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = sample_event(c);
    char buf[40];
    const char *p;
    size_t n;
    ck_assert(sl_condition_field_text(ev, "status", buf, &p, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(p, "503", 3) == 0);
    ck_assert(sl_condition_field_text(ev, "http.user-agent", buf, &p, &n));
    ck_assert(n == 8 && memcmp(p, "curl/8.5", 8) == 0);
    ck_assert(sl_condition_field_text(ev, "message", buf, &p, &n));
    ck_assert(n == 17);
    ck_assert(sl_condition_field_text(ev, "ok", buf, &p, &n) && n == 4);
    ck_assert(!sl_condition_field_text(ev, "http", buf, &p, &n));
    ck_assert(!sl_condition_field_text(ev, "missing", buf, &p, &n));
    ck_assert(!sl_condition_field_text(ev, "status.x", buf, &p, &n));
    /* FNV-1a 64 of "" is its offset basis; then the splitmix64 finalizer */
    ck_assert(sl_condition_hash("a", 1) != sl_condition_hash("b", 1));
    ck_assert(sl_condition_hash("abc", 3) == sl_condition_hash("abc", 3));
    sl_chunk_discard(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("condition");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, evaluation_table);
    tcase_add_test(tc, map_form);
    tcase_add_test(tc, parse_errors);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, field_text_and_hash);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
