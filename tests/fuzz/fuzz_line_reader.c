/* fuzz_line_reader.c: fuzz target for line splitting. The input is split
 * into reads at positions taken from its first bytes; whatever the bytes
 * and read sizes, the events plus what was cut or dropped account for
 * exactly the input, and no line exceeds max_line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/line_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sl_chunk *fuzz_chunk(sl_source *src, size_t cap)
{
    return sl_chunk_new(src, cap, NULL, NULL);
}

static void consume(sl_chunk *c, size_t max_line, uint64_t *lines)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n_events; i++)
        if (c->events[i]->msg_len > max_line)
            abort();
    *lines += c->n_events;
    sl_chunk_discard(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max_line = 1 + data[0] % 64;
    int mode = data[1] & 1 ? SL_LONG_SKIP : SL_LONG_TRUNCATE;
    size_t step = 1 + (data[1] >> 1);
    data += 2;
    size -= 2;
    sl_line_reader lr;
    sl_line_reader_init(&lr, NULL, max_line, mode);
    lr.new_chunk = fuzz_chunk;
    uint64_t lines = 0;
    size_t newlines = 0;
    for (size_t i = 0; i < size; i++)
        newlines += data[i] == '\n';
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        sl_chunk *c;
        sl_line_reader_feed(&lr, (const char *)data + off, n, &c);
        consume(c, max_line, &lines);
    }
    consume(sl_line_reader_finish(&lr), max_line, &lines);
    /* every newline ends one line, emitted or skipped; a final partial
     * line adds at most one */
    uint64_t accounted = lines + lr.skipped;
    if (accounted < newlines || accounted > newlines + 1)
        abort();
    sl_line_reader_free(&lr);
    return 0;
}
