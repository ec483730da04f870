/* test_json_writer_swar.c: test_json_writer.c's checks on the portable
 * string path (8 bytes at a time, SWAR) that machines without SSE2 run:
 * json_writer.c is compiled into this test with SL_JSON_SWAR_ONLY, and its
 * definitions take the place of the library's. */
#define SL_JSON_SWAR_ONLY
#include "../../src/util/json_writer.c"

#define SUITE_NAME "json_writer_swar"
#include "test_json_writer.c"
