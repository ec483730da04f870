/* encode.c: NDJSON and raw encodings of events. */
#include "encode.h"

#include <string.h>

#include "pipeline_config.h"
#include "plugin.h"
#include "runtime.h"
#include "util/json_writer.h"

void sl_encode_value(sl_buf *b, const sl_value *v)
{
    switch (v->type) {
    case SL_VAL_NULL:
        sl_json_null(b);
        break;
    case SL_VAL_STRING:
        sl_json_string(b, v->u.s.p, v->u.s.n);
        break;
    case SL_VAL_INT:
        sl_json_int(b, v->u.i);
        break;
    case SL_VAL_FLOAT:
        sl_json_double(b, v->u.f);
        break;
    case SL_VAL_BOOL:
        sl_json_bool(b, v->u.b);
        break;
    case SL_VAL_TIME:
        sl_json_time_rfc3339(b, v->u.t_ns, 6);
        break;
    case SL_VAL_MAP: {
        sl_buf_putc(b, '{');
        const sl_fields *m = v->u.map;
        for (uint32_t i = 0; i < m->n; i++) {
            if (i)
                sl_buf_putc(b, ',');
            sl_json_string(b, m->v[i].name, m->v[i].name_len);
            sl_buf_putc(b, ':');
            sl_encode_value(b, &m->v[i].v);
        }
        sl_buf_putc(b, '}');
        break;
    }
    }
}

static bool has_field(const sl_event *ev, const char *name, size_t n)
{
    return ev->fields.n && sl_fields_get((sl_fields *)&ev->fields, name, n) != NULL;
}

static void encode_ndjson(sl_buf *b, const sl_event *ev)
{
    const sl_chunk *c = ev->chunk;
    sl_buf_putc(b, '{');
    bool first = true;
    if (!has_field(ev, "timestamp", 9)) {
        sl_buf_append(b, "\"timestamp\":", 12);
        sl_json_time_rfc3339(b, ev->time_ns, 6);
        first = false;
    }
    if (c->source && !has_field(ev, "source", 6)) {
        if (!first)
            sl_buf_putc(b, ',');
        sl_buf_append(b, "\"source\":", 9);
        sl_json_string(b, c->source->name, strlen(c->source->name));
        first = false;
    }
    if (c->origin && c->origin_key && !has_field(ev, c->origin_key, strlen(c->origin_key))) {
        if (!first)
            sl_buf_putc(b, ',');
        sl_json_string(b, c->origin_key, strlen(c->origin_key));
        sl_buf_putc(b, ':');
        sl_json_string(b, c->origin, strlen(c->origin));
        first = false;
    }
    if (c->host && !has_field(ev, "host", 4)) {
        if (!first)
            sl_buf_putc(b, ',');
        sl_buf_append(b, "\"host\":", 7);
        sl_json_string(b, c->host, strlen(c->host));
        first = false;
    }
    if (!has_field(ev, "message", 7)) {
        if (!first)
            sl_buf_putc(b, ',');
        sl_buf_append(b, "\"message\":", 10);
        sl_json_string(b, ev->msg, ev->msg_len);
        first = false;
    }
    for (uint32_t i = 0; i < ev->fields.n; i++) {
        const sl_field *f = &ev->fields.v[i];
        if (!first)
            sl_buf_putc(b, ',');
        sl_json_string(b, f->name, f->name_len);
        sl_buf_putc(b, ':');
        sl_encode_value(b, &f->v);
        first = false;
    }
    sl_buf_append(b, "}\n", 2);
}

void sl_encode_event(sl_buf *b, const sl_event *ev, int encoding)
{
    if (encoding == SL_ENC_RAW) {
        sl_buf_reserve(b, ev->msg_len + 1);
        memcpy(b->p + b->len, ev->msg, ev->msg_len);
        b->len += ev->msg_len;
        b->p[b->len++] = '\n';
        return;
    }
    encode_ndjson(b, ev);
}

const char *sl_encoding_content_type(int encoding)
{
    return encoding == SL_ENC_RAW ? "text/plain; charset=utf-8" : "application/x-ndjson";
}
