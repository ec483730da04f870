/* check_main.h: the main() every unit-test binary shares: run one Check
 * suite and exit non-zero if anything failed. */
#ifndef SLUICE_TESTS_CHECK_MAIN_H
#define SLUICE_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int sl_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
