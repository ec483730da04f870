/* dedup.c: the `dedup` handler: drops an event when the value of `field`
 * was already seen within `window` (measured from when that value was
 * let through, on a monotonic clock; duplicates do not extend it).
 *
 * Memory is bounded: at most `max_entries` values are remembered, as 64-bit
 * hashes (sl_condition_hash; two values colliding is a 1 in 2^64 chance).
 * The table is split into 16 stripes, each with its own lock, its own
 * chained hash table and a list in insertion order (oldest first): expired
 * entries are reclaimed from the head, and when a stripe is full its oldest
 * entry is evicted early (counted; logged at a bounded rate). Events
 * without the field are passed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/condition.h"
#include "log.h"
#include "plugin.h"
#include "util/clock.h"
#include "util/xalloc.h"

typedef struct {
    char *field;
    int64_t window_ns;
    int64_t max_entries;
} dedup_cfg;

#define O(f) offsetof(dedup_cfg, f)
static const sl_option dedup_options[] = {
    {"field", SL_OPT_STRING, NULL, SL_OPTF_REQUIRED, 0, 0, NULL, O(field),
     "Field (dotted path, or message) whose value identifies duplicates."},
    {"window", SL_OPT_DURATION, "1m", 0, 1000000, 31LL * 86400000000000LL, NULL, O(window_ns),
     "An event is dropped if its value was let through less than this long ago."},
    {"max_entries", SL_OPT_INT, "100000", 0, 16, 100000000, NULL, O(max_entries),
     "Most values remembered (about 32 bytes each); when full the oldest are forgotten early."},
    SL_OPT_END,
};

#define NSTRIPES 16
#define NIL UINT32_MAX

typedef struct {
    uint64_t hash;
    int64_t t;              /* when the value was let through */
    uint32_t chain;         /* next in the bucket */
    uint32_t prev, next;    /* insertion order */
} entry;

typedef struct {
    pthread_mutex_t mu;
    entry *e;
    uint32_t cap, used;
    uint32_t *bucket;       /* heads, nbuckets (a power of two) */
    uint32_t mask;
    uint32_t head, tail;    /* oldest, newest */
    uint32_t free_list;     /* through chain */
} stripe;

typedef struct {
    char *field;
    int64_t window;
    stripe s[NSTRIPES];
    atomic_uint_fast64_t evicted;
    sl_ratelimit evict_rl;
    const char *name;
} dedup_state;

static void stripe_init(stripe *s, uint32_t cap)
{
    pthread_mutex_init(&s->mu, NULL);
    s->cap = cap;
    s->e = sl_calloc(cap, sizeof *s->e);
    uint32_t nb = 1;
    while (nb < cap)
        nb <<= 1;
    s->bucket = sl_malloc(nb * sizeof *s->bucket);
    for (uint32_t i = 0; i < nb; i++)
        s->bucket[i] = NIL;
    s->mask = nb - 1;
    s->head = s->tail = NIL;
    for (uint32_t i = 0; i < cap; i++)
        s->e[i].chain = i + 1 < cap ? i + 1 : NIL;
    s->free_list = 0;
}

/* Unlink entry i from its bucket, the order list, and free it. */
static void remove_entry(stripe *s, uint32_t i)
{
    entry *e = &s->e[i];
    uint32_t *pp = &s->bucket[(uint32_t)(e->hash >> 32) & s->mask];
    while (*pp != i)
        pp = &s->e[*pp].chain;
    *pp = e->chain;
    if (e->prev != NIL)
        s->e[e->prev].next = e->next;
    else
        s->head = e->next;
    if (e->next != NIL)
        s->e[e->next].prev = e->prev;
    else
        s->tail = e->prev;
    e->chain = s->free_list;
    s->free_list = i;
    s->used--;
}

static void append(stripe *s, uint32_t i)
{
    entry *e = &s->e[i];
    e->prev = s->tail;
    e->next = NIL;
    if (s->tail != NIL)
        s->e[s->tail].next = i;
    else
        s->head = i;
    s->tail = i;
}

/* True: a duplicate (drop). Otherwise remembers the value as let through now. */
static bool seen(dedup_state *st, uint64_t h)
{
    stripe *s = &st->s[h & (NSTRIPES - 1)];
    bool evicted = false, dup = false;
    pthread_mutex_lock(&s->mu);
    int64_t now = sl_mono_ns();
    uint32_t *head = &s->bucket[(uint32_t)(h >> 32) & s->mask];
    uint32_t i = *head;
    while (i != NIL && s->e[i].hash != h)
        i = s->e[i].chain;
    if (i != NIL) {
        if (now - s->e[i].t < st->window) {
            dup = true;
        } else {            /* expired: let through again, now the newest */
            s->e[i].t = now;
            if (s->tail != i) {
                entry *e = &s->e[i];
                if (e->prev != NIL)
                    s->e[e->prev].next = e->next;
                else
                    s->head = e->next;
                s->e[e->next].prev = e->prev;
                append(s, i);
            }
        }
    } else {
        while (s->head != NIL && now - s->e[s->head].t >= st->window)
            remove_entry(s, s->head);
        if (s->used == s->cap) {
            remove_entry(s, s->head);
            evicted = true;
        }
        i = s->free_list;
        s->free_list = s->e[i].chain;
        s->used++;
        entry *e = &s->e[i];
        e->hash = h;
        e->t = now;
        e->chain = *head;
        *head = i;
        append(s, i);
    }
    pthread_mutex_unlock(&s->mu);
    if (evicted) {
        atomic_fetch_add_explicit(&st->evicted, 1, memory_order_relaxed);
        unsigned suppressed;
        if (sl_ratelimit_allow(&st->evict_rl, 1, &suppressed))
            sl_warn("handler", "%s: more values within window than max_entries: the oldest "
                               "are forgotten early (%llu so far), so some duplicates may "
                               "pass; raise max_entries",
                    st->name,
                    (unsigned long long)atomic_load_explicit(&st->evicted, memory_order_relaxed));
    }
    return dup;
}

static void *dedup_create(const void *cfgp, const char *name)
{
    const dedup_cfg *cfg = cfgp;
    dedup_state *st = sl_calloc(1, sizeof *st);
    st->field = sl_strdup(cfg->field);
    st->window = cfg->window_ns;
    st->name = name;
    uint32_t per = (uint32_t)((cfg->max_entries + NSTRIPES - 1) / NSTRIPES);
    for (int i = 0; i < NSTRIPES; i++)
        stripe_init(&st->s[i], per ? per : 1);
    return st;
}

static sl_handler_result dedup_process(void *state, sl_event *ev, sl_handler_ctx *hc)
{
    (void)hc;
    dedup_state *st = state;
    char buf[40];
    const char *p;
    size_t n;
    if (!sl_condition_field_text(ev, st->field, buf, &p, &n))
        return SL_HANDLER_PASS;
    return seen(st, sl_condition_hash(p, n)) ? SL_HANDLER_DROP : SL_HANDLER_PASS;
}

static void dedup_destroy(void *state)
{
    dedup_state *st = state;
    for (int i = 0; i < NSTRIPES; i++) {
        pthread_mutex_destroy(&st->s[i].mu);
        free(st->s[i].e);
        free(st->s[i].bucket);
    }
    free(st->field);
    free(st);
}

static const sl_handler_ops dedup_ops = {
    .create = dedup_create,
    .process = dedup_process,
    .destroy = dedup_destroy,
};

const sl_plugin sl_handler_dedup = {
    .name = "dedup",
    .kind = SL_PLUGIN_HANDLER,
    .summary = "Drops events whose field value was already seen within a time window.",
    .options = dedup_options,
    .config_size = sizeof(dedup_cfg),
    .handler = &dedup_ops,
};
