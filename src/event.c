/* event.c: chunks, events and fields. */
#include "event.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Bytes of arena that come with each chunk, so a typical chunk of parsed
 * lines needs no further allocation for its event headers. */
#define SL_CHUNK_INLINE_ARENA (16u * 1024)

typedef struct {
    sl_chunk_done_fn done;
    void *ctx;
} chunk_cb;

static void chunk_free(sl_chunk *c)
{
    sl_arena_free(&c->arena);
    free(c->events);
    free(c->data);
    sl_buf_free(&c->json);
    free(c);
}

static void chunk_fired(sl_ack *a, unsigned status, void *ctx)
{
    sl_chunk *c = (sl_chunk *)a;   /* the ack is the chunk's first member */
    chunk_cb *cb = ctx;
    if (cb->done)
        cb->done(c, status, cb->ctx);
    chunk_free(c);
}

sl_chunk *sl_chunk_new(struct sl_source *src, size_t data_cap,
                       sl_chunk_done_fn done, void *ctx)
{
    sl_chunk *c = sl_malloc(sizeof *c + SL_CHUNK_INLINE_ARENA);
    memset(c, 0, sizeof *c);
    sl_arena_init(&c->arena, c->inline_arena, SL_CHUNK_INLINE_ARENA);
    chunk_cb *cb = sl_arena_alloc(&c->arena, sizeof *cb);
    cb->done = done;
    cb->ctx = ctx;
    sl_ack_init(&c->ack, chunk_fired, cb);
    c->source = src;
    if (data_cap) {
        c->data = sl_malloc(data_cap);
        c->data_cap = data_cap;
    }
    return c;
}

void sl_chunk_grow_data(sl_chunk *c, size_t cap)
{
    if (cap <= c->data_cap)
        return;
    c->data = sl_realloc(c->data, cap);
    c->data_cap = cap;
}

void sl_events_release(sl_event *const *evs, size_t n, unsigned mark)
{
    size_t i = 0;
    while (i < n) {
        sl_chunk *c = evs[i]->chunk;
        unsigned run = 0;
        while (i < n && evs[i]->chunk == c) {
            run++;
            i++;
        }
        if (mark)
            sl_ack_mark(&c->ack, mark);
        sl_chunk_release(c, run);
    }
}

void sl_chunk_discard(sl_chunk *c)
{
    chunk_free(c);
}

static sl_event *chunk_new_event(sl_chunk *c)
{
    if (c->n_events == c->cap_events) {
        uint32_t cap = c->cap_events ? c->cap_events * 2 : 64;
        c->events = sl_realloc(c->events, cap * sizeof *c->events);
        c->cap_events = cap;
    }
    sl_event *ev = sl_arena_alloc(&c->arena, sizeof *ev);
    memset(ev, 0, sizeof *ev);
    ev->chunk = c;
    c->events[c->n_events++] = ev;
    return ev;
}

sl_event *sl_chunk_add_event(sl_chunk *c, const char *msg, size_t len,
                             int64_t time_ns)
{
    sl_event *ev = chunk_new_event(c);
    ev->msg = msg;
    ev->msg_len = len;
    ev->time_ns = time_ns;
    c->bytes += len;
    return ev;
}

sl_event *sl_event_clone(const sl_event *from)
{
    sl_chunk *c = from->chunk;
    sl_event *ev = chunk_new_event(c);
    ev->msg = from->msg;
    ev->msg_len = from->msg_len;
    ev->time_ns = from->time_ns;
    ev->flags = from->flags;
    if (from->fields.n) {
        ev->fields.v = sl_arena_alloc(&c->arena, from->fields.n * sizeof(sl_field));
        memcpy(ev->fields.v, from->fields.v, from->fields.n * sizeof(sl_field));
        ev->fields.n = ev->fields.cap = from->fields.n;
    }
    return ev;
}

sl_value *sl_fields_get(sl_fields *f, const char *name, size_t name_len)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (f->v[i].name_len == name_len && memcmp(f->v[i].name, name, name_len) == 0)
            return &f->v[i].v;
    return NULL;
}

sl_value *sl_fields_set(sl_chunk *c, sl_fields *f, const char *name,
                        size_t name_len)
{
    sl_value *v = sl_fields_get(f, name, name_len);
    if (v)
        return v;
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 8;
        sl_field *nv = sl_arena_alloc(&c->arena, cap * sizeof *nv);
        if (f->n)
            memcpy(nv, f->v, f->n * sizeof *nv);
        f->v = nv;          /* the old array stays in the arena */
        f->cap = cap;
    }
    sl_field *fl = &f->v[f->n++];
    fl->name = name;
    fl->name_len = (uint32_t)name_len;
    fl->v.type = SL_VAL_NULL;
    return &fl->v;
}

sl_value *sl_fields_append(sl_chunk *c, sl_fields *f, const char *name, size_t name_len)
{
    if (f->n == f->cap)
        sl_fields_reserve(c, f, f->cap ? f->cap : 8);
    sl_field *fl = &f->v[f->n++];
    fl->name = name;
    fl->name_len = (uint32_t)name_len;
    fl->v.type = SL_VAL_NULL;
    return &fl->v;
}

void sl_fields_reserve(sl_chunk *c, sl_fields *f, uint32_t more)
{
    if (f->cap - f->n >= more)
        return;
    uint32_t cap = f->n + more;
    sl_field *nv = sl_arena_alloc(&c->arena, cap * sizeof *nv);
    if (f->n)
        memcpy(nv, f->v, f->n * sizeof *nv);
    f->v = nv;              /* the old array stays in the arena */
    f->cap = cap;
}

bool sl_fields_remove(sl_fields *f, const char *name, size_t name_len)
{
    for (uint32_t i = 0; i < f->n; i++) {
        if (f->v[i].name_len == name_len && memcmp(f->v[i].name, name, name_len) == 0) {
            memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof *f->v);
            f->n--;
            return true;
        }
    }
    return false;
}

sl_fields *sl_fields_new_map(sl_chunk *c)
{
    sl_fields *m = sl_arena_alloc(&c->arena, sizeof *m);
    memset(m, 0, sizeof *m);
    return m;
}

char *sl_event_strdup(sl_event *ev, const char *s, size_t n)
{
    return sl_arena_strndup(&ev->chunk->arena, s, n);
}

void sl_event_set_string(sl_event *ev, const char *name, const char *s, size_t n)
{
    sl_value_set_string(sl_event_set(ev, name, strlen(name)), s, n);
}

void sl_event_set_int(sl_event *ev, const char *name, int64_t val)
{
    sl_value *v = sl_event_set(ev, name, strlen(name));
    v->type = SL_VAL_INT;
    v->u.i = val;
}
