/* event.h: events, their typed fields, and chunks.
 *
 * A chunk is a block of events read together by a source (a span of a file,
 * a read from a socket, one HTTP request). It owns the events' memory (an
 * arena) and their one ack token, and it is the unit that moves through the
 * queue: one lock per chunk, not per event. Handlers still see one event at
 * a time. While a worker processes a chunk it is the chunk's only writer;
 * after the worker hands its events to destinations, they are read-only.
 * The chunk is freed when its ack fires: when every (event, destination)
 * delivery has been committed or definitively given up, and the worker has
 * let go of it. */
#ifndef SLUICE_EVENT_H
#define SLUICE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ack.h"
#include "util/arena.h"
#include "util/buf.h"

struct sl_source;

typedef enum {
    SL_VAL_NULL,
    SL_VAL_STRING,
    SL_VAL_INT,
    SL_VAL_FLOAT,
    SL_VAL_BOOL,
    SL_VAL_TIME,    /* unix nanoseconds */
    SL_VAL_MAP,     /* nested fields */
} sl_val_type;

typedef struct sl_fields sl_fields;

typedef struct {
    sl_val_type type;
    union {
        struct {
            const char *p;
            size_t n;
        } s;
        int64_t i;
        double f;
        bool b;
        int64_t t_ns;
        sl_fields *map;
    } u;
} sl_value;

typedef struct {
    const char *name;   /* not necessarily NUL-terminated */
    uint32_t name_len;
    sl_value v;
} sl_field;

/* An ordered set of fields (insertion order is output order). */
struct sl_fields {
    sl_field *v;
    uint32_t n, cap;
};

enum {
    SL_EVF_TRUNCATED = 1u << 0, /* the message was cut at max_line_bytes */
};

typedef struct sl_chunk sl_chunk;

typedef struct sl_event {
    sl_chunk *chunk;
    const char *msg;    /* the message bytes (raw line), not NUL-terminated */
    size_t msg_len;
    int64_t time_ns;    /* event time: parsed, or when it was read */
    sl_fields fields;
    uint32_t flags;
    /* The event's JSON object, encoded ahead by the worker that processed
     * it (sl_encode_ahead): chunk->json.p[json_off..+json_len). json_len 0:
     * not encoded ahead; senders encode it themselves. */
    uint32_t json_off, json_len;
} sl_event;

struct sl_chunk {
    sl_ack ack;                 /* refs: the current owner's hold plus one
                                   per (event, destination) in flight */
    struct sl_source *source;
    const char *origin;         /* file path or peer address; may be NULL */
    sl_chunk *next;             /* queue link */
    uint64_t seq;               /* the queue's count of chunks popped before it */
    sl_event **events;
    uint32_t n_events, cap_events;
    size_t bytes;               /* message bytes, for queue accounting */
    size_t acct;                /* memory charged to service.memory_limit */
    const char *origin_key;     /* field name for origin: "file", "peer" */
    const char *host;           /* the "host" field of every event, or NULL */
    void *source_ctx;           /* the source's own bookkeeping (e.g. which
                                   file generation the chunk came from) */
    char *data;                 /* the source's read buffer (malloc'd) */
    size_t data_len, data_cap;
    uint64_t begin, end;        /* source positions (file offsets) covered */
    sl_buf json;                /* events' JSON objects encoded ahead */
    sl_arena arena;
    max_align_t inline_arena[]; /* the arena's first block */
};

typedef void (*sl_chunk_done_fn)(sl_chunk *c, unsigned status, void *ctx);

/* A new chunk owned by `src`, with a data buffer of data_cap bytes (0 for
 * none). `done` runs when its ack fires, just before the chunk is freed;
 * the chunk starts with one reference held by the caller. */
sl_chunk *sl_chunk_new(struct sl_source *src, size_t data_cap,
                       sl_chunk_done_fn done, void *ctx);
/* Grow the data buffer to at least `cap` bytes (only while no event points
 * into it). */
void sl_chunk_grow_data(sl_chunk *c, size_t cap);
/* Add an event whose message is msg[0..len) (memory the chunk already owns,
 * or that outlives it). */
sl_event *sl_chunk_add_event(sl_chunk *c, const char *msg, size_t len,
                             int64_t time_ns);
/* Drop n references (deliveries committed, or the owner letting go). */
static inline void sl_chunk_release(sl_chunk *c, unsigned n)
{
    sl_ack_release(&c->ack, n);
}
/* Drop one reference per event of evs[0..n) (delivered, or let go of),
 * runs of events of the same chunk with one atomic operation each; `mark`
 * (SL_ACK_* bits, or 0) is set on each of their chunks first. */
void sl_events_release(sl_event *const *evs, size_t n, unsigned mark);
/* Free a chunk nobody else references without firing its callback (used
 * when a source stops before handing it over). */
void sl_chunk_discard(sl_chunk *c);

/* A new event in the same chunk, a copy of `from` (message, time, flags and
 * fields; nested maps are shared, not deep-copied). */
sl_event *sl_event_clone(const sl_event *from);
/* Allocate from the event's chunk arena (only by the chunk's owner). */
static inline void *sl_event_alloc(sl_event *ev, size_t n)
{
    return sl_arena_alloc(&ev->chunk->arena, n);
}

/* Field access. Names are compared byte for byte. Setting a field that
 * exists replaces its value in place. The name (and string values) must
 * live as long as the chunk: copy them into the arena with sl_event_strdup
 * unless they are static or point into the chunk's data. */
sl_value *sl_fields_get(sl_fields *f, const char *name, size_t name_len);
sl_value *sl_fields_set(sl_chunk *c, sl_fields *f, const char *name,
                        size_t name_len);
bool sl_fields_remove(sl_fields *f, const char *name, size_t name_len);
/* Add a field the caller knows is not there yet (a parser filling a fresh
 * map or event with distinct names): sl_fields_set without the lookup. */
sl_value *sl_fields_append(sl_chunk *c, sl_fields *f, const char *name, size_t name_len);
/* Make room for `more` fields at once (a parser that knows how many it
 * sets): one array of the right size rather than doubling ones, whose
 * outgrown copies stay in the arena until the chunk is freed. */
void sl_fields_reserve(sl_chunk *c, sl_fields *f, uint32_t more);
/* Make v the string p[0..n) (not copied: the bytes must live as long as
 * the chunk). */
static inline void sl_value_set_string(sl_value *v, const char *p, size_t n)
{
    v->type = SL_VAL_STRING;
    v->u.s.p = p;
    v->u.s.n = n;
}
sl_fields *sl_fields_new_map(sl_chunk *c);

static inline sl_value *sl_event_get(sl_event *ev, const char *name, size_t n)
{
    return sl_fields_get(&ev->fields, name, n);
}
static inline sl_value *sl_event_set(sl_event *ev, const char *name, size_t n)
{
    return sl_fields_set(ev->chunk, &ev->fields, name, n);
}
void sl_event_set_string(sl_event *ev, const char *name, const char *s,
                         size_t n);
void sl_event_set_int(sl_event *ev, const char *name, int64_t v);
char *sl_event_strdup(sl_event *ev, const char *s, size_t n);

#endif
