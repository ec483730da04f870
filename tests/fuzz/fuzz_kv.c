/* fuzz_kv.c: fuzz target for the logfmt parser and the parse_kv handler.
 * Pairs lie inside the input, in order, with keys never empty; unescaping
 * never grows a value; the handler passes or fails with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/handler_harness.h"
#include "parsers/kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const sl_plugin sl_handler_parse_kv;

static hh h_plain, h_conv;
static bool opened;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!opened) {
        if (!hh_open(&h_plain, &sl_handler_parse_kv, "") ||
            !hh_open(&h_conv, &sl_handler_parse_kv,
                     "{ convert: true, target: kv, separator: ':', max_fields: 8 }"))
            abort();
        opened = true;
    }
    const char *p = (const char *)data;
    sl_kv_iter it;
    sl_kv_pair kv;
    const char *why;
    const char *prev = p;
    int r;
    sl_kv_init(&it, p, size, '=');
    while ((r = sl_kv_next(&it, &kv, &why)) > 0) {
        if (kv.key_len == 0 || kv.key < prev || kv.key + kv.key_len > p + size)
            abort();
        prev = kv.key + kv.key_len;
        if (kv.val) {
            if (kv.val < prev || kv.val + kv.val_len > p + size)
                abort();
            prev = kv.val + kv.val_len;
            char *out = malloc(kv.val_len + 1);
            if (sl_kv_unescape(kv.val, kv.val_len, out) > kv.val_len)
                abort();
            free(out);
        }
    }
    if (r < 0 && !why)
        abort();
    sl_chunk *c = sl_chunk_new(NULL, size, NULL, NULL);
    if (size)
        memcpy(c->data, data, size);
    hh *hs[2] = {&h_plain, &h_conv};
    for (int k = 0; k < 2; k++) {
        sl_event *ev = sl_chunk_add_event(c, c->data, size, 0);
        const char *err = NULL;
        if (hh_run(hs[k], ev, &err) == SL_HANDLER_ERROR && (!err || !*err))
            abort();
    }
    sl_chunk_discard(c);
    return 0;
}
