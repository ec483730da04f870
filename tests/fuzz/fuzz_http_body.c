/* fuzz_http_body.c: fuzz target for the http source's body decoder
 * (src/sources/http_body.c). The first byte chooses the format (ndjson,
 * json_array, lines) and whether the rest is inflated as gzip first (bounded
 * by a small max_body_bytes); the rest is the body. Every event's message
 * must lie in the chunk's data or its arena; a failed decode gives a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/http_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    sl_http_format fmt = (sl_http_format)(1 + sel % 3);
    char *owned = NULL;
    size_t len = n;
    const char *why = NULL;
    if (sel & 0x80) {
        size_t max = (sel & 0x40) ? 64 : 1 << 16;
        int rc = sl_http_body_gunzip(body, n, max, &owned, &len, &why);
        if (rc == SL_HTTP_GZ_BAD && !why)
            abort();
        if (rc != SL_HTTP_GZ_OK)
            return 0;
        if (len > max)
            abort();
        body = owned;
    }
    sl_chunk *c = sl_chunk_new(NULL, len ? len : 1, NULL, NULL);
    if (len)
        memcpy(c->data, body, len);
    c->data_len = len;
    free(owned);
    why = NULL;
    bool ok = sl_http_body_decode(c, fmt, 0, &why);
    if (!ok && !why)
        abort();
    for (uint32_t i = 0; i < c->n_events; i++) {
        const sl_event *ev = c->events[i];
        if (ev->msg_len == 0 && fmt != SL_HTTP_FMT_JSON_ARRAY)
            abort();
        if (fmt != SL_HTTP_FMT_JSON_ARRAY &&
            (ev->msg < c->data || ev->msg + ev->msg_len > c->data + c->data_len ||
             memchr(ev->msg, '\n', ev->msg_len)))
            abort();
    }
    sl_chunk_discard(c);
    return 0;
}
