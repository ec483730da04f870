/* options.c: applying option tables to config maps (types, units, ranges,
 * defaults, required options, unknown keys with suggestions) and printing
 * the tables as `--help-plugin` text and as man(7) source. */
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* ---- facts about one option ----------------------------------------------- */

const char *sl_opt_type_name(sl_opt_type t)
{
    switch (t) {
    case SL_OPT_STRING: return "string";
    case SL_OPT_BOOL: return "boolean";
    case SL_OPT_INT: return "integer";
    case SL_OPT_SIZE: return "size";
    case SL_OPT_DURATION: return "duration";
    case SL_OPT_ENUM: return "choice";
    case SL_OPT_STRLIST: return "list of strings";
    case SL_OPT_STRMAP: return "map of strings";
    case SL_OPT_NODE: return "any";
    }
    return "?";
}

/* What a value must be, for "must be ..." messages (not for ENUM, whose
 * message lists the choices). */
static const char *expected_value(const sl_option *o)
{
    switch (o->type) {
    case SL_OPT_STRING: return "a string";
    case SL_OPT_BOOL: return "true or false";
    case SL_OPT_INT: return (o->flags & SL_OPTF_AUTO) ? "an integer or auto" : "an integer";
    case SL_OPT_SIZE: return "a size such as 64MiB";
    case SL_OPT_DURATION: return "a duration such as 500ms or 5m";
    case SL_OPT_ENUM: return "one of its choices";
    case SL_OPT_STRLIST: return "a list of strings";
    case SL_OPT_STRMAP: return "a map of strings";
    case SL_OPT_NODE: return "a value";
    }
    return "?";
}

static bool has_range(const sl_option *o) { return o->min < o->max; }

static bool is_secret(const sl_option *o) { return (o->flags & SL_OPTF_SECRET) != 0; }

/* A secret option whose value is text (not a map or a raw node) may also
 * be given as NAME_file: the path of a file holding the value. */
static bool has_file_sibling(const sl_option *o)
{
    return is_secret(o) && o->type != SL_OPT_STRMAP && o->type != SL_OPT_NODE;
}

#define FILE_SUFFIX "_file"

/* One bound of a range as a config would write it ("1KiB", "5m", "10"). */
static void format_bound(const sl_option *o, int64_t v, char *buf, size_t cap)
{
    if (o->type == SL_OPT_SIZE)
        sl_format_size(v < 0 ? 0 : (uint64_t)v, buf, cap);
    else if (o->type == SL_OPT_DURATION)
        sl_format_duration(v, buf, cap);
    else
        snprintf(buf, cap, "%" PRId64, v);
}

/* "ndjson, raw": the choices of an ENUM, malloc'd. */
static char *choices_text(const sl_option *o)
{
    sl_buf b = {0};
    for (size_t i = 0; o->choices[i]; i++) {
        if (i)
            sl_buf_puts(&b, ", ");
        sl_buf_puts(&b, o->choices[i]);
    }
    sl_buf_putc(&b, 0);
    return b.p;
}

static size_t count_choices(const sl_option *o)
{
    size_t n = 0;
    while (o->choices[n])
        n++;
    return n;
}

/* How many bytes an option's value takes in the output struct. */
static size_t slot_size(sl_opt_type t)
{
    switch (t) {
    case SL_OPT_STRING: return sizeof(char *);
    case SL_OPT_BOOL: return sizeof(bool);
    case SL_OPT_INT: return sizeof(int64_t);
    case SL_OPT_SIZE: return sizeof(uint64_t);
    case SL_OPT_DURATION: return sizeof(int64_t);
    case SL_OPT_ENUM: return sizeof(int);
    case SL_OPT_STRLIST: return sizeof(sl_strlist);
    case SL_OPT_STRMAP: return sizeof(sl_strmap);
    case SL_OPT_NODE: return sizeof(const sl_node *);
    }
    return 0;
}

static void *slot_of(const sl_optset *set, const sl_option *o)
{
    return (char *)set->out + o->offset;
}

/* A mistake in an option table is a bug in sluice, not in the config. */
_Noreturn static void table_bug(const sl_option *o, const char *problem)
{
    fprintf(stderr, "sluice: bug in an option table: option \"%s\" %s\n",
            o->name ? o->name : "(null)", problem);
    abort();
}

static void check_table(const sl_option *opts)
{
    for (const sl_option *o = opts; o->name; o++) {
        if (o->type == SL_OPT_ENUM && (!o->choices || !o->choices[0]))
            table_bug(o, "is a choice without choices");
        if ((o->type == SL_OPT_STRMAP || o->type == SL_OPT_NODE) && o->def)
            table_bug(o, "cannot have a default");
        if (has_file_sibling(o)) {
            size_t n = strlen(o->name);
            for (const sl_option *p = opts; p->name; p++)
                if (strncmp(p->name, o->name, n) == 0 && strcmp(p->name + n, FILE_SUFFIX) == 0)
                    table_bug(o, "is a secret, whose NAME_file form is taken by another option");
        }
    }
}

/* ---- reading one value ---------------------------------------------------- */

typedef enum { VALUE_OK, VALUE_MALFORMED, VALUE_OUT_OF_RANGE } value_status;

/* Read the text of a scalar into the slot of an option of a scalar type (a
 * STRLIST takes it as a list of one). Used for config values and defaults
 * alike. The slot is only written when the value is good. */
static value_status read_text(const sl_option *o, const char *text, void *slot)
{
    switch (o->type) {
    case SL_OPT_STRING:
        *(char **)slot = sl_strdup(text);
        return VALUE_OK;
    case SL_OPT_BOOL:
        return sl_parse_bool(text, slot) ? VALUE_OK : VALUE_MALFORMED;
    case SL_OPT_INT: {
        int64_t v;
        if ((o->flags & SL_OPTF_AUTO) && strcmp(text, "auto") == 0) {
            *(int64_t *)slot = 0;
            return VALUE_OK;
        }
        if (!sl_parse_int(text, &v))
            return VALUE_MALFORMED;
        if (has_range(o) && (v < o->min || v > o->max))
            return VALUE_OUT_OF_RANGE;
        *(int64_t *)slot = v;
        return VALUE_OK;
    }
    case SL_OPT_SIZE: {
        uint64_t v;
        if (!sl_parse_size(text, &v))
            return VALUE_MALFORMED;
        uint64_t lo = o->min < 0 ? 0 : (uint64_t)o->min;
        if (has_range(o) && (v < lo || o->max < 0 || v > (uint64_t)o->max))
            return VALUE_OUT_OF_RANGE;
        *(uint64_t *)slot = v;
        return VALUE_OK;
    }
    case SL_OPT_DURATION: {
        int64_t v;
        if (!sl_parse_duration(text, &v))
            return VALUE_MALFORMED;
        if (has_range(o) && (v < o->min || v > o->max))
            return VALUE_OUT_OF_RANGE;
        *(int64_t *)slot = v;
        return VALUE_OK;
    }
    case SL_OPT_ENUM:
        for (size_t i = 0; o->choices[i]; i++) {
            if (strcmp(text, o->choices[i]) == 0) {
                *(int *)slot = (int)i;
                return VALUE_OK;
            }
        }
        return VALUE_MALFORMED;
    case SL_OPT_STRLIST: {
        sl_strlist *list = slot;
        list->v = sl_calloc(1, sizeof *list->v);
        list->v[0] = sl_strdup(text);
        list->n = 1;
        return VALUE_OK;
    }
    case SL_OPT_STRMAP:
    case SL_OPT_NODE:
        break;
    }
    return VALUE_MALFORMED;
}

/* The value of an option that was not given. */
static void set_default(const sl_option *o, void *slot)
{
    memset(slot, 0, slot_size(o->type));
    if (!o->def || (o->flags & SL_OPTF_REQUIRED))
        return;
    if (read_text(o, o->def, slot) != VALUE_OK) {
        char problem[512];
        snprintf(problem, sizeof problem, "has the default \"%s\", which is not %s%s", o->def,
                 o->type == SL_OPT_ENUM ? "one of its choices" : expected_value(o),
                 has_range(o) ? " within its range" : "");
        table_bug(o, problem);
    }
}

/* ---- applying tables ------------------------------------------------------ */

typedef struct {
    const sl_optset *sets;
    size_t nsets;
    const sl_node ***given_at;  /* per set, per option: the key that gave it */
    const char *what;
    const char *const *ignore;
    sl_diags *d;
} apply_ctx;

typedef struct {
    const sl_optset *set;
    const sl_option *opt;
    const sl_node **given_at;
} option_ref;

static char *concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = sl_malloc(la + lb + 1);
    memcpy(s, a, la);   // NOLINT(bugprone-not-null-terminated-result): b's copy ends it
    memcpy(s + la, b, lb + 1);
    return s;
}

static bool find_option(const apply_ctx *c, const char *full, option_ref *ref)
{
    for (size_t s = 0; s < c->nsets; s++) {
        for (size_t i = 0; c->sets[s].opts[i].name; i++) {
            if (strcmp(c->sets[s].opts[i].name, full) == 0) {
                *ref = (option_ref){&c->sets[s], &c->sets[s].opts[i], &c->given_at[s][i]};
                return true;
            }
        }
    }
    return false;
}

/* The first option nested under `group` ("batch" -> "batch.max_events"), or
 * NULL when no option is. */
static const char *first_in_group(const apply_ctx *c, const char *group)
{
    size_t n = strlen(group);
    for (size_t s = 0; s < c->nsets; s++) {
        for (const sl_option *o = c->sets[s].opts; o->name; o++)
            if (strncmp(o->name, group, n) == 0 && o->name[n] == '.')
                return o->name;
    }
    return NULL;
}

static bool is_ignored(const apply_ctx *c, const char *key)
{
    for (const char *const *ig = c->ignore; ig && *ig; ig++)
        if (strcmp(*ig, key) == 0)
            return true;
    return false;
}

/* The closest option name to an unknown key: by its full dotted name (and,
 * at the top, the ignored keys such as "type"), or by its last component
 * alone, so a nested option written at the wrong level is found too. */
static const char *suggest_option(const apply_ctx *c, const char *full, const char *key,
                                  bool top_level)
{
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    size_t full_limit = sl_typo_limit(full), key_limit = sl_typo_limit(key);
    for (size_t s = 0; s < c->nsets; s++) {
        for (const sl_option *o = c->sets[s].opts; o->name; o++) {
            size_t dist = sl_edit_distance(full, o->name);
            if (dist <= full_limit && dist < best_distance) {
                best = o->name;
                best_distance = dist;
            }
        }
    }
    for (const char *const *ig = c->ignore; top_level && ig && *ig; ig++) {
        size_t dist = sl_edit_distance(full, *ig);
        if (dist <= full_limit && dist < best_distance) {
            best = *ig;
            best_distance = dist;
        }
    }
    for (size_t s = 0; s < c->nsets; s++) {
        for (const sl_option *o = c->sets[s].opts; o->name; o++) {
            const char *dot = strrchr(o->name, '.');
            size_t dist = sl_edit_distance(key, dot ? dot + 1 : o->name);
            if (dist <= key_limit && dist < best_distance) {
                best = o->name;
                best_distance = dist;
            }
        }
    }
    return best;
}

/* A value of the wrong kind (a list for an integer, an empty value...). */
static void report_wrong_kind(apply_ctx *c, const sl_option *o, const sl_node *v)
{
    sl_diag_error(c->d, v, "%s: option \"%s\" must be %s, not %s", c->what, o->name,
                  o->type == SL_OPT_ENUM ? "one of its choices" : expected_value(o),
                  sl_node_kind_name(v));
}

/* A scalar whose text is not a value of the option's type. */
static void report_malformed(apply_ctx *c, const sl_option *o, const sl_node *v)
{
    if (o->type == SL_OPT_ENUM) {
        char *choices = choices_text(o);
        const char *hint = sl_did_you_mean(v->str, o->choices, count_choices(o));
        if (is_secret(o))
            sl_diag_error(c->d, v, "%s: option \"%s\" is invalid: it must be one of: %s (the "
                                   "value is secret and not shown)", c->what, o->name, choices);
        else if (hint)
            sl_diag_error(c->d, v, "%s: option \"%s\" must be one of: %s (got \"%s\"; did you "
                                   "mean \"%s\"?)", c->what, o->name, choices, v->str, hint);
        else
            sl_diag_error(c->d, v, "%s: option \"%s\" must be one of: %s (got \"%s\")", c->what,
                          o->name, choices, v->str);
        free(choices);
    } else if (is_secret(o)) {
        sl_diag_error(c->d, v, "%s: option \"%s\" is invalid: it must be %s (the value is "
                               "secret and not shown)", c->what, o->name, expected_value(o));
    } else {
        sl_diag_error(c->d, v, "%s: option \"%s\" must be %s, not \"%s\"", c->what, o->name,
                      expected_value(o), v->str);
    }
}

static void report_out_of_range(apply_ctx *c, const sl_option *o, const sl_node *v)
{
    char lo[48], hi[48];
    format_bound(o, o->min, lo, sizeof lo);
    format_bound(o, o->max, hi, sizeof hi);
    if (is_secret(o))
        sl_diag_error(c->d, v, "%s: option \"%s\" must be between %s and %s (the value is "
                               "secret and not shown)", c->what, o->name, lo, hi);
    else
        sl_diag_error(c->d, v, "%s: option \"%s\" must be between %s and %s (got %s)", c->what,
                      o->name, lo, hi, v->str);
}

static bool is_text(const sl_node *v) { return v->kind == SL_NODE_SCALAR && !v->is_null; }

static void read_list(apply_ctx *c, const sl_option *o, const sl_node *seq, sl_strlist *list)
{
    list->v = sl_calloc(seq->n, sizeof *list->v);
    for (size_t i = 0; i < seq->n; i++) {
        const sl_node *item = seq->vals[i];
        if (!is_text(item)) {
            sl_diag_error(c->d, item, "%s: option \"%s\" must be a list of strings, but item "
                                      "%zu is %s", c->what, o->name, i + 1,
                          sl_node_kind_name(item));
            continue;
        }
        list->v[list->n++] = sl_strdup(item->str);
    }
}

static void read_map(apply_ctx *c, const sl_option *o, const sl_node *map, sl_strmap *out)
{
    out->keys = sl_calloc(map->n, sizeof *out->keys);
    out->vals = sl_calloc(map->n, sizeof *out->vals);
    for (size_t i = 0; i < map->n; i++) {
        const sl_node *v = map->vals[i];
        if (!is_text(v)) {
            sl_diag_error(c->d, v, "%s: option \"%s\" must be a map of strings, but the value "
                                   "of \"%s\" is %s", c->what, o->name, map->keys[i]->str,
                          sl_node_kind_name(v));
            continue;
        }
        out->keys[out->n] = sl_strdup(map->keys[i]->str);
        out->vals[out->n++] = sl_strdup(v->str);
    }
}

/* ---- secrets from files (NAME_file) ---------------------------------------- */

/* The secret option NAME when `full` is "NAME_file". */
static bool find_secret_file_option(const apply_ctx *c, const char *full, option_ref *ref)
{
    size_t n = strlen(full), k = strlen(FILE_SUFFIX);
    if (n <= k || strcmp(full + n - k, FILE_SUFFIX) != 0)
        return false;
    char *stem = sl_strndup(full, n - k);
    bool found = find_option(c, stem, ref) && has_file_sibling(ref->opt);
    free(stem);
    return found;
}

static void wipe_free(char *p, size_t n)
{
    if (!p)
        return;
    explicit_bzero(p, n);
    free(p);
}

/* The content of a secret file: a regular file of at most
 * SL_SECRET_FILE_MAX bytes, without NUL bytes, trailing newlines (\n,
 * \r\n) dropped, not empty. NULL with the reason in `why` (which never
 * quotes the content). */
static char *read_secret_file(const char *path, struct stat *st, char *why, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, st) != 0) {
        snprintf(why, cap, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, cap, "%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    /* One buffer of the largest size, never grown: no copy of the secret
     * is left behind in freed memory. */
    size_t len = 0, room = SL_SECRET_FILE_MAX + 1;
    char *text = sl_malloc(room + 1);
    for (;;) {
        ssize_t got = read(fd, text + len, room - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(why, cap, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            wipe_free(text, room + 1);
            return NULL;
        }
        len += (size_t)got;
        if (got == 0 || len == room)
            break;
    }
    close(fd);
    const char *problem = NULL;
    if (len > SL_SECRET_FILE_MAX)
        problem = "is larger than 64KiB (is it the right file?)";
    else if (memchr(text, 0, len))
        problem = "holds a NUL byte";
    while (!problem && len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (!problem && len == 0)
        problem = "is empty";
    if (problem) {
        snprintf(why, cap, "%s %s", path, problem);
        wipe_free(text, room + 1);
        return NULL;
    }
    text[len] = 0;
    return text;
}

/* `full` ("auth.token_file") names the file that holds the value of the
 * secret option ref->opt ("auth.token"): read it now, once; neither the
 * content nor any part of it appears in a message. */
static void take_secret_file(apply_ctx *c, const option_ref *ref, const char *full,
                             const sl_node *v)
{
    const sl_option *o = ref->opt;
    void *slot = slot_of(ref->set, o);
    memset(slot, 0, slot_size(o->type));
    if (!is_text(v)) {
        sl_diag_error(c->d, v, "%s: option \"%s\" must be the path of a file holding \"%s\", "
                               "not %s", c->what, full, o->name, sl_node_kind_name(v));
        return;
    }
    char why[4200];
    struct stat st;
    char *text = read_secret_file(v->str, &st, why, sizeof why);
    if (!text) {
        sl_diag_error(c->d, v, "%s: option \"%s\": %s", c->what, full, why);
        return;
    }
    if (st.st_mode & S_IROTH)
        sl_diag_warn(c->d, v, "%s: option \"%s\": %s holds a secret but is readable by every "
                              "user (mode %04o); fix it with: chmod o-r %s", c->what, full,
                     v->str, (unsigned)(st.st_mode & 07777), v->str);
    size_t n = strlen(text);
    switch (read_text(o, text, slot)) {
    case VALUE_OK:
        break;
    case VALUE_MALFORMED: {
        char *choices = o->type == SL_OPT_ENUM ? choices_text(o) : NULL;
        sl_diag_error(c->d, v, "%s: option \"%s\": the content of %s is not a valid \"%s\": it "
                               "must be %s%s (the value is secret and not shown)", c->what, full,
                      v->str, o->name, choices ? "one of: " : expected_value(o),
                      choices ? choices : "");
        free(choices);
        break;
    }
    case VALUE_OUT_OF_RANGE: {
        char lo[48], hi[48];
        format_bound(o, o->min, lo, sizeof lo);
        format_bound(o, o->max, hi, sizeof hi);
        sl_diag_error(c->d, v, "%s: option \"%s\": the value of \"%s\" in %s must be between "
                               "%s and %s (the value is secret and not shown)", c->what, full,
                      o->name, v->str, lo, hi);
        break;
    }
    }
    wipe_free(text, n);
}

/* An option given a second time, or a secret given both as NAME and as
 * NAME_file. */
static void report_twice(apply_ctx *c, const option_ref *ref, const sl_node *key,
                         const char *full)
{
    const sl_node *first = *ref->given_at;
    size_t k = strlen(FILE_SUFFIX), n1 = strlen(first->str), n2 = strlen(key->str);
    bool first_file = has_file_sibling(ref->opt) && n1 > k &&
                      strcmp(first->str + n1 - k, FILE_SUFFIX) == 0;
    bool this_file = has_file_sibling(ref->opt) && n2 > k &&
                     strcmp(key->str + n2 - k, FILE_SUFFIX) == 0;
    if (first_file == this_file)
        sl_diag_error(c->d, key, "%s: option \"%s\" is given twice (first at line %d)", c->what,
                      full, first->line);
    else
        sl_diag_error(c->d, key, "%s: give either \"%s\" or \"%s" FILE_SUFFIX "\", not both (the "
                                 "other is at line %d)", c->what, ref->opt->name, ref->opt->name,
                      first->line);
}

/* Store the value `v` given for option `o` (errors leave the zero value). */
static void take_value(apply_ctx *c, const option_ref *ref, const sl_node *v)
{
    const sl_option *o = ref->opt;
    void *slot = slot_of(ref->set, o);
    memset(slot, 0, slot_size(o->type));
    if (o->type == SL_OPT_NODE) {
        *(const sl_node **)slot = v;
        return;
    }
    if (o->type == SL_OPT_STRLIST && v->kind == SL_NODE_SEQ) {
        read_list(c, o, v, slot);
        return;
    }
    if (o->type == SL_OPT_STRMAP && v->kind == SL_NODE_MAP) {
        read_map(c, o, v, slot);
        return;
    }
    if (!is_text(v) || o->type == SL_OPT_STRMAP) {
        report_wrong_kind(c, o, v);
        return;
    }
    switch (read_text(o, v->str, slot)) {
    case VALUE_OK:
        break;
    case VALUE_MALFORMED:
        report_malformed(c, o, v);
        break;
    case VALUE_OUT_OF_RANGE:
        report_out_of_range(c, o, v);
        break;
    }
}

static void walk_map(apply_ctx *c, const sl_node *map, const char *prefix)
{
    for (size_t k = 0; k < map->n; k++) {
        const sl_node *key = map->keys[k], *val = map->vals[k];
        if (!*prefix && is_ignored(c, key->str))
            continue;
        char *full = concat(prefix, key->str);
        option_ref ref;
        const char *member;
        if (find_option(c, full, &ref)) {
            if (*ref.given_at)
                report_twice(c, &ref, key, full);
            else {
                *ref.given_at = key;
                take_value(c, &ref, val);
            }
        } else if (find_secret_file_option(c, full, &ref)) {
            if (*ref.given_at)
                report_twice(c, &ref, key, full);
            else {
                *ref.given_at = key;
                take_secret_file(c, &ref, full, val);
            }
        } else if ((member = first_in_group(c, full)) != NULL) {
            if (val->kind == SL_NODE_MAP) {
                char *sub = concat(full, ".");
                walk_map(c, val, sub);
                free(sub);
            } else if (!(val->kind == SL_NODE_SCALAR && val->is_null)) {
                /* (an empty group, all of it commented out, is fine) */
                sl_diag_error(c->d, val, "%s: \"%s\" must be a map of options (%s: { %s: ... "
                                         "}), not %s", c->what, full, key->str,
                              member + strlen(full) + 1, sl_node_kind_name(val));
            }
        } else {
            const char *hint = suggest_option(c, full, key->str, !*prefix);
            if (hint)
                sl_diag_error(c->d, key, "%s: unknown option \"%s\" (did you mean \"%s\"?)",
                              c->what, full, hint);
            else
                sl_diag_error(c->d, key, "%s: unknown option \"%s\"", c->what, full);
        }
        free(full);
    }
}

size_t sl_options_apply(const sl_optset *sets, size_t nsets, const sl_node *map,
                        const sl_node *where, const char *what, const char *const *ignore,
                        sl_diags *d)
{
    size_t errors_before = d->errors;
    apply_ctx c = {sets, nsets, NULL, what, ignore, d};
    c.given_at = sl_calloc(nsets, sizeof *c.given_at);
    for (size_t s = 0; s < nsets; s++) {
        check_table(sets[s].opts);
        size_t n = 0;
        while (sets[s].opts[n].name)
            n++;
        c.given_at[s] = sl_calloc(n + 1, sizeof *c.given_at[s]);
    }
    if (map && map->kind == SL_NODE_SCALAR && map->is_null)
        map = NULL;                 /* `name:` with nothing after it: no options */
    bool usable = true;
    if (map && map->kind != SL_NODE_MAP) {
        sl_diag_error(d, map, "%s: options must be a map, not %s", what, sl_node_kind_name(map));
        usable = false;             /* nothing to say about what is missing */
    } else if (map) {
        walk_map(&c, map, "");
    }
    for (size_t s = 0; s < nsets; s++) {
        for (size_t i = 0; sets[s].opts[i].name; i++) {
            const sl_option *o = &sets[s].opts[i];
            if (c.given_at[s][i])
                continue;
            if ((o->flags & SL_OPTF_REQUIRED) && usable && has_file_sibling(o))
                sl_diag_error(d, where ? where : map, "%s: missing required option \"%s\" (or "
                              "\"%s" FILE_SUFFIX "\", a file holding it)", what, o->name, o->name);
            else if ((o->flags & SL_OPTF_REQUIRED) && usable)
                sl_diag_error(d, where ? where : map, "%s: missing required option \"%s\"", what,
                              o->name);
            set_default(o, slot_of(&sets[s], o));
        }
        free(c.given_at[s]);
    }
    free(c.given_at);
    return d->errors - errors_before;
}

void sl_options_free(const sl_optset *sets, size_t nsets)
{
    for (size_t s = 0; s < nsets; s++) {
        for (const sl_option *o = sets[s].opts; o->name; o++) {
            void *slot = slot_of(&sets[s], o);
            if (o->type == SL_OPT_STRING) {
                free(*(char **)slot);
                *(char **)slot = NULL;
            } else if (o->type == SL_OPT_STRLIST) {
                sl_strlist *list = slot;
                for (size_t i = 0; i < list->n; i++)
                    free(list->v[i]);
                free(list->v);
                memset(list, 0, sizeof *list);
            } else if (o->type == SL_OPT_STRMAP) {
                sl_strmap *m = slot;
                for (size_t i = 0; i < m->n; i++) {
                    free(m->keys[i]);
                    free(m->vals[i]);
                }
                free(m->keys);
                free(m->vals);
                memset(m, 0, sizeof *m);
            }
        }
    }
}

/* ---- help ----------------------------------------------------------------- */

/* "lo..hi" for an option with a range, "" otherwise. */
static void range_text(const sl_option *o, char *buf, size_t cap)
{
    char lo[48], hi[48];
    buf[0] = 0;
    if (!has_range(o))
        return;
    format_bound(o, o->min, lo, sizeof lo);
    format_bound(o, o->max, hi, sizeof hi);
    snprintf(buf, cap, "%s..%s", lo, hi);
}

/* The one-line help of a secret's NAME_file sibling. */
static char *file_sibling_help(const sl_option *o)
{
    sl_buf b = {0};
    sl_buf_printf(&b, "A file holding %s, to keep the secret out of the config: read once at "
                      "startup (at most 64KiB, trailing newline dropped), never logged; "
                      "instead of %s%s.", o->name, o->name,
                  (o->flags & SL_OPTF_REQUIRED) ? ", one of the two is required" : "");
    sl_buf_putc(&b, 0);
    return b.p;
}

static void print_help_file_sibling(FILE *out, const sl_option *o)
{
    char *name = concat(o->name, FILE_SUFFIX);
    char *help = file_sibling_help(o);
    fprintf(out, "  %-20s %-9s %s\n", name, sl_opt_type_name(SL_OPT_STRING), "(path)");
    fprintf(out, "      %s\n", help);
    free(help);
    free(name);
}

void sl_options_print_help(FILE *out, const sl_option *opts)
{
    for (const sl_option *o = opts; o->name; o++) {
        sl_buf facts = {0};
        bool required = (o->flags & SL_OPTF_REQUIRED) != 0;
        if (required || is_secret(o))
            sl_buf_printf(&facts, "(%s%s%s)   ", required ? "required" : "",
                          required && is_secret(o) ? ", " : "", is_secret(o) ? "secret" : "");
        else if (o->def)
            sl_buf_printf(&facts, "default %s   ", *o->def ? o->def : "\"\"");
        char range[100];
        range_text(o, range, sizeof range);
        if (*range)
            sl_buf_printf(&facts, "range %s%s   ", range,
                          o->type == SL_OPT_INT && (o->flags & SL_OPTF_AUTO) ? " or auto" : "");
        if (o->type == SL_OPT_ENUM && o->choices) {
            char *choices = choices_text(o);
            sl_buf_printf(&facts, "one of: %s   ", choices);
            free(choices);
        }
        while (facts.len && facts.p[facts.len - 1] == ' ')
            facts.len--;
        sl_buf_putc(&facts, 0);
        if (*facts.p)
            fprintf(out, "  %-20s %-9s %s\n", o->name, sl_opt_type_name(o->type), facts.p);
        else
            fprintf(out, "  %-20s %s\n", o->name, sl_opt_type_name(o->type));
        if (o->help)
            fprintf(out, "      %s\n", o->help);
        sl_buf_free(&facts);
        if (has_file_sibling(o))
            print_help_file_sibling(out, o);
    }
}

/* ---- man ------------------------------------------------------------------ */

/* Text inside a quoted macro argument: backslashes and quotes escaped, and
 * hyphens as minus signs (names and values are typed, not hyphenated). */
static void man_put_arg_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '"')
            fputs("\\(dq", out);
        else if (*s == '-')
            fputs("\\-", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

/* A paragraph of text: backslashes escaped, and a line that would start
 * with a control character ('.' or '\'') guarded with \&. */
static void man_put_text(FILE *out, const char *s)
{
    bool line_start = true;
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", out);
        line_start = *s == '\n';
        if (*s == '\\')
            fputs("\\e", out);
        else
            fputc(*s, out);
    }
    fputc('\n', out);
}

/* A .BR line: arguments alternate bold and roman, starting bold; roman
 * pieces added in a row are joined into one argument. */
typedef struct {
    FILE *out;
    sl_buf roman;
    bool last_bold;
} man_br_line;

static void man_br_flush_roman(man_br_line *l)
{
    if (!l->roman.len && !l->last_bold)
        return;
    sl_buf_putc(&l->roman, 0);
    fputs(" \"", l->out);
    man_put_arg_text(l->out, l->roman.p);
    fputc('"', l->out);
    l->roman.len = 0;
    l->last_bold = false;
}

static void man_br_bold(man_br_line *l, const char *s)
{
    if (l->last_bold || l->roman.len)
        man_br_flush_roman(l);
    fputs(" \"", l->out);
    man_put_arg_text(l->out, s);
    fputc('"', l->out);
    l->last_bold = true;
}

static void man_br_roman(man_br_line *l, const char *s) { sl_buf_puts(&l->roman, s); }

void sl_options_print_man(FILE *out, const sl_option *opts)
{
    for (const sl_option *o = opts; o->name; o++) {
        man_br_line l = {out, {0}, false};
        fputs(".TP\n.BR", out);
        man_br_bold(&l, o->name);
        man_br_roman(&l, " (");
        man_br_bold(&l, sl_opt_type_name(o->type));
        if (o->flags & SL_OPTF_REQUIRED)
            man_br_roman(&l, ", required");
        if (is_secret(o))
            man_br_roman(&l, ", secret");
        if (o->def && !(o->flags & SL_OPTF_REQUIRED) && !is_secret(o)) {
            man_br_roman(&l, ", default ");
            man_br_bold(&l, *o->def ? o->def : "\"\"");
        }
        char range[100];
        range_text(o, range, sizeof range);
        if (*range) {
            man_br_roman(&l, ", range ");
            man_br_bold(&l, range);
            if (o->type == SL_OPT_INT && (o->flags & SL_OPTF_AUTO))
                man_br_roman(&l, " or auto");
        }
        if (o->type == SL_OPT_ENUM && o->choices) {
            char *choices = choices_text(o);
            man_br_roman(&l, ", one of: ");
            man_br_bold(&l, choices);
            free(choices);
        }
        man_br_roman(&l, ")");
        man_br_flush_roman(&l);
        fputc('\n', out);
        sl_buf_free(&l.roman);
        if (o->help)
            man_put_text(out, o->help);
        if (has_file_sibling(o)) {
            char *name = concat(o->name, FILE_SUFFIX);
            char *help = file_sibling_help(o);
            man_br_line f = {out, {0}, false};
            fputs(".TP\n.BR", out);
            man_br_bold(&f, name);
            man_br_roman(&f, " (");
            man_br_bold(&f, sl_opt_type_name(SL_OPT_STRING));
            man_br_roman(&f, ", path)");
            man_br_flush_roman(&f);
            fputc('\n', out);
            sl_buf_free(&f.roman);
            man_put_text(out, help);
            free(help);
            free(name);
        }
    }
}
