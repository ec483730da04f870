/* test_handler_edits.c: the field-edit handlers: rename, copy, remove,
 * keep, lowercase, truncate. */
#include "check_main.h"
#include "handler_harness.h"

extern const sl_plugin sl_handler_rename, sl_handler_copy, sl_handler_remove,
    sl_handler_keep, sl_handler_lowercase, sl_handler_truncate;

static sl_event *abc_event(sl_chunk *c)
{
    sl_event *ev = hh_event(c, "line");
    sl_event_set_string(ev, "a", "Alpha", 5);
    sl_event_set_int(ev, "b", 2);
    sl_event_set_string(ev, "c", "gamma", 5);
    return ev;
}

START_TEST(rename_fields)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_rename, "{ fields: { a: x, b: c, missing: y } }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = abc_event(c);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert_ptr_null(hh_get(ev, "a"));
    ck_assert_ptr_null(hh_get(ev, "b"));
    ck_assert_ptr_null(hh_get(ev, "y"));
    ck_assert(hh_str_is(ev, "x", "Alpha"));
    ck_assert(hh_int_is(ev, "c", 2));           /* existing target replaced */
    ck_assert_uint_eq(ev->fields.n, 2);
    sl_chunk_discard(c);
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_rename, ""));   /* fields is required */
    hh_close(&h);
}
END_TEST

START_TEST(copy_fields)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_copy, "{ fields: { a: x, c: b, nope: z } }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = abc_event(c);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "a", "Alpha"));
    ck_assert(hh_str_is(ev, "x", "Alpha"));
    ck_assert(hh_str_is(ev, "b", "gamma"));
    ck_assert(hh_str_is(ev, "c", "gamma"));
    ck_assert_ptr_null(hh_get(ev, "z"));
    ck_assert_uint_eq(ev->fields.n, 4);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(remove_and_keep)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_remove, "{ fields: [ a, c, nope ] }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = abc_event(c);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(ev->fields.n, 1);
    ck_assert(hh_int_is(ev, "b", 2));
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_remove, "{ fields: b }"), "%s", h.diag);
    ev = abc_event(c);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(ev->fields.n, 2);
    hh_close(&h);

    ck_assert_msg(hh_open(&h, &sl_handler_keep, "{ fields: [ c, a, nope ] }"), "%s", h.diag);
    ev = abc_event(c);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(ev->fields.n, 2);
    ck_assert_int_eq(memcmp(ev->fields.v[0].name, "a", 1), 0);  /* order kept */
    ck_assert(hh_str_is(ev, "c", "gamma"));
    ck_assert_ptr_null(hh_get(ev, "b"));
    ev = hh_event(c, "no fields");
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert_uint_eq(ev->fields.n, 0);
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(lowercase_fields)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_lowercase, "{ fields: [ a, b, c, m, nope ] }"),
                  "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = abc_event(c);
    const char *orig_c = hh_get(ev, "c")->u.s.p;
    sl_event_set_string(ev, "m", "GET \xc3\x84Z", 7);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "a", "alpha"));
    ck_assert(hh_int_is(ev, "b", 2));                      /* not a string */
    ck_assert(hh_str_is(ev, "c", "gamma"));
    ck_assert_ptr_eq(hh_get(ev, "c")->u.s.p, orig_c);       /* no copy */
    ck_assert(hh_str_is(ev, "m", "get \xc3\x84z"));           /* ASCII only */
    sl_chunk_discard(c);
    hh_close(&h);
}
END_TEST

START_TEST(truncate_field)
{
    hh h;
    ck_assert_msg(hh_open(&h, &sl_handler_truncate, "{ field: a, max_bytes: 3 }"), "%s", h.diag);
    sl_chunk *c = sl_chunk_new(NULL, 0, NULL, NULL);
    sl_event *ev = abc_event(c);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "a", "Alp"));
    ck_assert(hh_bool_is(ev, "a_truncated", true));
    ev = hh_event(c, "x");
    sl_event_set_string(ev, "a", "abc", 3);                 /* exactly the limit */
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "a", "abc"));
    ck_assert_ptr_null(hh_get(ev, "a_truncated"));
    ev = hh_event(c, "x");
    sl_event_set_string(ev, "a", "ab\xc3\xa4", 4);          /* cut would split ä */
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "a", "ab"));
    ev = hh_event(c, "x");
    sl_event_set_int(ev, "a", 123456);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert(hh_int_is(ev, "a", 123456));
    hh_close(&h);
    ck_assert_msg(hh_open(&h, &sl_handler_truncate, "{ field: a, max_bytes: 1KiB, flag: cut }"),
                  "%s", h.diag);
    ev = abc_event(c);
    ck_assert_int_eq(hh_run(&h, ev, NULL), SL_HANDLER_PASS);
    ck_assert(hh_str_is(ev, "a", "Alpha"));
    ck_assert_ptr_null(hh_get(ev, "cut"));
    sl_chunk_discard(c);
    hh_close(&h);
    ck_assert(!hh_open(&h, &sl_handler_truncate, "{ field: a }"));
    hh_close(&h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler_edits");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rename_fields);
    tcase_add_test(tc, copy_fields);
    tcase_add_test(tc, remove_and_keep);
    tcase_add_test(tc, lowercase_fields);
    tcase_add_test(tc, truncate_field);
    suite_add_tcase(s, tc);
    return sl_run_suite(s);
}
