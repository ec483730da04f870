/* fuzz_line_reader.c: fuzz target for line splitting. The input is split
 * into reads at positions taken from its first bytes; whatever the bytes
 * and read sizes, the events plus what was cut or dropped account for
 * exactly the input, and no line exceeds max_line. In multiline mode (a
 * line starting with a digit starts an event) no event exceeds max_line
 * and the same input gives the same events whatever the read sizes. */
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

static bool digit_starts(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    return len > 0 && line[0] >= '0' && line[0] <= '9';
}

/* Multiline: the events' bytes joined, for one read size. */
static uint64_t multiline_run(const uint8_t *data, size_t size, size_t max_line, int mode,
                              size_t step)
{
    sl_line_reader lr;
    sl_line_reader_init(&lr, NULL, max_line, mode);
    lr.new_chunk = fuzz_chunk;
    sl_line_reader_multiline(&lr, digit_starts, NULL);
    uint64_t h = 1469598103934665603ULL, lines = 0;
    sl_chunk *c;
    for (size_t off = 0; off <= size; off += step) {
        bool last = off + step > size;  /* the final feed (maybe empty), then finish */
        size_t n = size - off < step ? size - off : step;
        sl_line_reader_feed(&lr, (const char *)data + off, n, &c);
        for (int pass = 0; pass < 2; pass++) {
            for (uint32_t i = 0; c && i < c->n_events; i++) {
                if (c->events[i]->msg_len > max_line)
                    abort();
                for (size_t k = 0; k < c->events[i]->msg_len; k++)
                    h = (h ^ (unsigned char)c->events[i]->msg[k]) * 1099511628211ULL;
                h = (h ^ 0x100) * 1099511628211ULL;
            }
            consume(c, max_line, &lines);
            c = pass == 0 && last ? sl_line_reader_finish(&lr) : NULL;
        }
        if (last)
            break;
    }
    c = sl_line_reader_finish(&lr);
    if (c && c->n_events)
        abort();                /* finish twice: nothing left */
    consume(c, max_line, &lines);
    sl_line_reader_free(&lr);
    return h;
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
    if (multiline_run(data, size, max_line, mode, step) !=
        multiline_run(data, size, max_line, mode, size ? size : 1))
        abort();                /* read boundaries changed the events */
    return 0;
}
