/* fuzz_config.c: fuzz target for the config loader (YAML tree, ${VAR}
 * expansion, option tables, pipeline validation): any bytes must give a
 * config or a list of errors, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>

#include "pipeline_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_diags d = {0};
    sl_doc *doc = sl_doc_load_buffer("fuzz.yaml", (const char *)data, size, &d);
    if (doc) {
        sl_config *cfg = sl_config_build(doc, &d);
        sl_config_free(cfg);
    }
    sl_diags_free(&d);
    return 0;
}
