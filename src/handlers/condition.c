/* condition.c: the condition language and the filter's map form, compiled
 * into one tree with one evaluator.
 *
 * Grammar (keywords are lower case; `&&`, `||` and `!` are synonyms of
 * and, or, not):
 *   expr     := and_expr { "or" and_expr }
 *   and_expr := unary { "and" unary }
 *   unary    := "not" unary | primary
 *   primary  := "(" expr ")"
 *             | "exists" "(" field ")" | "exists" field
 *             | operand OP operand
 *             | "true" | "false"
 *   OP       := == != < <= > >= =~ !~ prefix suffix contains
 *   operand  := field | "string" | number | true | false | null
 *   field    := name { "." name }   name: [A-Za-z_@][A-Za-z0-9_@-]* or `any text`
 *                                   (backquotes; `` for a backquote)
 * Strings take \" \\ \n \r \t \xHH; any other backslash is kept as written,
 * so regexes read naturally ("^/api/\d+"). Numbers: -?digits[.digits][e[+-]digits].
 *
 * Semantics: a comparison involving a missing field is false (`!=` and
 * `!~` too; test `not exists(f)`). Both sides numeric (int, float, time,
 * a number literal, or a string field holding a number) compare as numbers;
 * null equals only null; otherwise both sides compare as text, byte-wise
 * (numbers and booleans by their text: 200, true). =~ / !~ match the left
 * side's text against a PCRE2 pattern compiled once (JIT); prefix, suffix
 * and contains compare texts. `message` is the event's message unless a
 * field has that name.
 *
 * Map-form comparisons keep the filter's original rules (a string field
 * compares as bytes with equals; lt..ge need numbers; matches needs a
 * string field): they are CMP nodes flagged map_mode. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "handlers/condition.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util/xalloc.h"

typedef enum { N_CONST, N_OR, N_AND, N_NOT, N_EXISTS, N_CMP } node_kind;
typedef enum {
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_MATCH, OP_NMATCH, OP_PREFIX, OP_SUFFIX, OP_CONTAINS,
} cmp_op;

typedef enum { V_NULL, V_STR, V_INT, V_FLOAT, V_BOOL, V_OTHER } vkind;

/* A field path or a literal. */
typedef struct {
    char **seg;             /* field: n_seg names; literal: n_seg == 0 */
    size_t *seg_len;
    size_t n_seg;
    vkind kind;             /* literal */
    char *s;                /* string literal (decoded) or a number's text */
    size_t n;
    bool num, is_int;       /* a number literal (map form: a numeric text) */
    int64_t i;
    double d;
    bool b;
} operand;

typedef struct node {
    node_kind kind;
    bool value;             /* CONST */
    bool map_mode;          /* CMP from the map form: the filter's rules */
    cmp_op op;
    operand a, b;           /* CMP: a OP b; EXISTS: a */
    pcre2_code *re;         /* MATCH, NMATCH */
    struct node **sub;      /* OR, AND (n_sub >= 2 from text), NOT (1) */
    size_t n_sub;
} node;

struct sl_condition {
    node *root;
};

/* ---- per-thread match data (shared by every condition) ----------------- */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local pcre2_match_data *tl_md;
static atomic_size_t n_live;    /* conditions compiled and not freed */

static void md_free(void *p) { pcre2_match_data_free(p); }
static void md_key_init(void) { pthread_key_create(&md_key, md_free); }

static pcre2_match_data *thread_match_data(void)
{
    if (!tl_md) {           /* once per thread, not per event */
        pthread_once(&md_once, md_key_init);
        tl_md = pcre2_match_data_create(1, NULL);
        if (!tl_md)
            sl_oom();
        pthread_setspecific(md_key, tl_md);
    }
    return tl_md;
}

/* ---- trees ---------------------------------------------------------------- */

static void operand_free(operand *o)
{
    for (size_t i = 0; i < o->n_seg; i++)
        free(o->seg[i]);
    free(o->seg);
    free(o->seg_len);
    free(o->s);
    memset(o, 0, sizeof *o);
}

static void node_free(node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_sub; i++)
        node_free(n->sub[i]);
    free(n->sub);
    operand_free(&n->a);
    operand_free(&n->b);
    pcre2_code_free(n->re);
    free(n);
}

static node *node_new(node_kind k)
{
    node *n = sl_calloc(1, sizeof *n);
    n->kind = k;
    return n;
}

static void node_add(node *n, node *sub)
{
    if ((n->n_sub & (n->n_sub - 1)) == 0)      /* 0, 1, 2, 4, ...: grow */
        n->sub = sl_realloc(n->sub, (n->n_sub ? n->n_sub * 2 : 1) * sizeof *n->sub);
    n->sub[n->n_sub++] = sub;
}

static sl_condition *wrap(node *root)
{
    sl_condition *c = sl_calloc(1, sizeof *c);
    c->root = root;
    atomic_fetch_add(&n_live, 1);
    return c;
}

void sl_condition_free(sl_condition *c)
{
    if (!c)
        return;
    node_free(c->root);
    free(c);
    /* the last one frees this thread's match data (the other threads' went
     * with their threads) */
    if (atomic_fetch_sub(&n_live, 1) == 1 && tl_md) {
        pthread_setspecific(md_key, NULL);
        pcre2_match_data_free(tl_md);
        tl_md = NULL;
    }
}

/* A strict number: -?digits[.digits][(e|E)[+-]digits]. No spaces, hex,
 * inf or nan. */
static bool parse_number(const char *s, size_t n, bool *is_int, int64_t *i, double *d)
{
    size_t k = 0;
    if (k < n && (s[k] == '-' || s[k] == '+'))
        k++;
    size_t digits = k;
    while (k < n && s[k] >= '0' && s[k] <= '9')
        k++;
    if (k == digits)
        return false;
    bool integer = true;
    if (k < n && s[k] == '.') {
        integer = false;
        size_t f = ++k;
        while (k < n && s[k] >= '0' && s[k] <= '9')
            k++;
        if (k == f)
            return false;
    }
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        integer = false;
        k++;
        if (k < n && (s[k] == '-' || s[k] == '+'))
            k++;
        size_t e = k;
        while (k < n && s[k] >= '0' && s[k] <= '9')
            k++;
        if (k == e)
            return false;
    }
    if (k != n || n >= 64)
        return false;
    char tmp[64];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    *d = strtod(tmp, NULL);
    *is_int = false;
    if (integer) {
        char *end;
        errno = 0;
        long long v = strtoll(tmp, &end, 10);
        if (!errno && !*end) {
            *is_int = true;
            *i = v;
        }
    }
    return true;
}

/* Split a dotted path into an operand's segments. */
static void field_from_path(operand *o, const char *path)
{
    size_t n = 1;
    for (const char *p = path; *p; p++)
        n += *p == '.';
    o->seg = sl_calloc(n, sizeof *o->seg);
    o->seg_len = sl_calloc(n, sizeof *o->seg_len);
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        o->seg[o->n_seg] = sl_malloc(len + 1);
        memcpy(o->seg[o->n_seg], p, len);
        o->seg[o->n_seg][len] = 0;
        o->seg_len[o->n_seg++] = len;
        if (!dot)
            break;
        p = dot + 1;
    }
}

static bool compile_regex(node *n, const char *pat, size_t len, char *msg, size_t cap,
                          size_t *off_out)
{
    int ec;
    PCRE2_SIZE off;
    n->re = pcre2_compile((PCRE2_SPTR)pat, len, 0, &ec, &off, NULL);
    if (!n->re) {
        PCRE2_UCHAR m[160];
        pcre2_get_error_message(ec, m, sizeof m);
        snprintf(msg, cap, "%s at offset %zu", (char *)m, (size_t)off);
        *off_out = off;
        return false;
    }
    pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE);   /* interpreted if it fails */
    return true;
}

/* ---- the lexer -------------------------------------------------------------- */

typedef enum {
    T_EOF, T_LPAREN, T_RPAREN, T_STRING, T_NUMBER, T_FIELD, T_OP,
    T_AND, T_OR, T_NOT, T_EXISTS, T_TRUE, T_FALSE, T_NULL,
} tok_kind;

typedef struct {
    tok_kind kind;
    size_t pos, len;        /* where in the text */
    cmp_op op;              /* T_OP */
    operand v;              /* T_STRING, T_NUMBER, T_FIELD: owned until taken */
    bool word;              /* T_FIELD: one unquoted name (may be an operator word) */
} token;

typedef struct {
    const char *s;
    size_t len, pos;
    token tok;              /* the current token */
    sl_condition_error *err;
    bool failed;
} parser;

static bool fail_at(parser *P, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail_at(parser *P, size_t pos, const char *fmt, ...)
{
    if (P->failed)
        return false;
    P->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(P->err->msg, sizeof P->err->msg, fmt, ap);
    va_end(ap);
    P->err->offset = pos;
    return false;
}

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool lex_string(parser *P, token *t)
{
    const char *s = P->s;
    size_t k = P->pos + 1;
    char *out = sl_malloc(P->len - P->pos + 1);
    size_t n = 0;
    for (;;) {
        if (k >= P->len) {
            free(out);
            return fail_at(P, P->pos, "unterminated string (a \" is missing)");
        }
        char c = s[k];
        if (c == '"')
            break;
        if (c != '\\') {
            out[n++] = c;
            k++;
            continue;
        }
        if (k + 1 >= P->len) {
            free(out);
            return fail_at(P, P->pos, "unterminated string (a \" is missing)");
        }
        char e = s[k + 1];
        switch (e) {
        case '"': out[n++] = '"'; k += 2; break;
        case '\\': out[n++] = '\\'; k += 2; break;
        case 'n': out[n++] = '\n'; k += 2; break;
        case 'r': out[n++] = '\r'; k += 2; break;
        case 't': out[n++] = '\t'; k += 2; break;
        case 'x': {
            int h = k + 2 < P->len ? hexval(s[k + 2]) : -1;
            int l = k + 3 < P->len ? hexval(s[k + 3]) : -1;
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                free(out);
                return fail_at(P, k, "\\x takes two hex digits (not 00)");
            }
            out[n++] = (char)(h * 16 + l);
            k += 4;
            break;
        }
        default:            /* kept as written: "\d" stays \d for regexes */
            out[n++] = '\\';
            out[n++] = e;
            k += 2;
            break;
        }
    }
    out[n] = 0;
    t->kind = T_STRING;
    t->v.kind = V_STR;
    t->v.s = out;
    t->v.n = n;
    P->pos = k + 1;
    return true;
}

/* A field path: names (plain or `quoted`) joined by dots. */
static bool lex_field(parser *P, token *t)
{
    const char *s = P->s;
    size_t k = P->pos;
    operand *o = &t->v;
    size_t cap = 0;
    int quoted_segs = 0;
    for (;;) {
        char *name;
        size_t nl;
        if (k < P->len && s[k] == '`') {
            size_t start = k++;
            name = sl_malloc(P->len - k + 1);
            nl = 0;
            for (;;) {
                if (k >= P->len) {
                    free(name);
                    return fail_at(P, start, "unterminated field name (a ` is missing)");
                }
                if (s[k] == '`') {
                    if (k + 1 < P->len && s[k + 1] == '`') {
                        name[nl++] = '`';
                        k += 2;
                        continue;
                    }
                    k++;
                    break;
                }
                name[nl++] = s[k++];
            }
            name[nl] = 0;
            if (nl == 0) {
                free(name);
                return fail_at(P, start, "empty field name");
            }
            quoted_segs++;
        } else if (k < P->len && name_start(s[k])) {
            size_t start = k;
            while (k < P->len && name_char(s[k]))
                k++;
            nl = k - start;
            name = sl_malloc(nl + 1);
            memcpy(name, s + start, nl);
            name[nl] = 0;
        } else {
            return fail_at(P, k, "expected a field name after '.'");
        }
        if (o->n_seg == cap) {
            cap = cap ? cap * 2 : 2;
            o->seg = sl_realloc(o->seg, cap * sizeof *o->seg);
            o->seg_len = sl_realloc(o->seg_len, cap * sizeof *o->seg_len);
        }
        o->seg[o->n_seg] = name;
        o->seg_len[o->n_seg++] = nl;
        if (o->n_seg > 64)
            return fail_at(P, P->pos, "field path too long (more than 64 names)");
        if (k < P->len && s[k] == '.') {
            k++;
            continue;
        }
        break;
    }
    t->kind = T_FIELD;
    t->word = o->n_seg == 1 && quoted_segs == 0;
    P->pos = k;
    return true;
}

static const struct {
    const char *w;
    tok_kind k;
} keywords[] = {
    {"and", T_AND}, {"or", T_OR}, {"not", T_NOT}, {"exists", T_EXISTS},
    {"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL},
};

/* Read the next token into P->tok (the previous one must have been taken
 * or freed). */
static bool next(parser *P)
{
    const char *s = P->s;
    while (P->pos < P->len && (s[P->pos] == ' ' || s[P->pos] == '\t' || s[P->pos] == '\n' ||
                               s[P->pos] == '\r'))
        P->pos++;
    token *t = &P->tok;
    operand_free(&t->v);        /* an operand nobody took */
    memset(t, 0, sizeof *t);
    t->pos = P->pos;
    if (P->pos >= P->len) {
        t->kind = T_EOF;
        return true;
    }
    char c = s[P->pos];
    char d = (char)(P->pos + 1 < P->len ? s[P->pos + 1] : 0);
    size_t start = P->pos;
#define TWO(k_) (P->pos += 2, t->kind = (k_), true)
#define OP1(o_) (P->pos += 1, t->kind = T_OP, t->op = (o_), true)
#define OP2(o_) (P->pos += 2, t->kind = T_OP, t->op = (o_), true)
    bool ok;
    switch (c) {
    case '(': P->pos++; t->kind = T_LPAREN; ok = true; break;
    case ')': P->pos++; t->kind = T_RPAREN; ok = true; break;
    case '"': ok = lex_string(P, t); break;
    case '=':
        ok = d == '=' ? OP2(OP_EQ) : d == '~' ? OP2(OP_MATCH)
             : fail_at(P, start, "'=' is not an operator: use == (or =~ for a regex)");
        break;
    case '!':
        ok = d == '=' ? OP2(OP_NE) : d == '~' ? OP2(OP_NMATCH)
             : (P->pos++, t->kind = T_NOT, true);
        break;
    case '<': ok = d == '=' ? OP2(OP_LE) : OP1(OP_LT); break;
    case '>': ok = d == '=' ? OP2(OP_GE) : OP1(OP_GT); break;
    case '&':
        ok = d == '&' ? TWO(T_AND) : fail_at(P, start, "'&' is not an operator: use and (or &&)");
        break;
    case '|':
        ok = d == '|' ? TWO(T_OR) : fail_at(P, start, "'|' is not an operator: use or (or ||)");
        break;
    default:
        if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && d >= '0' && d <= '9')) {
            size_t k = P->pos + 1;
            while (k < P->len && (name_char(s[k]) || s[k] == '.' ||
                                  ((s[k] == '-' || s[k] == '+') && (s[k - 1] == 'e' || s[k - 1] == 'E'))))
                k++;
            operand *o = &t->v;
            if (!parse_number(s + start, k - start, &o->is_int, &o->i, &o->d)) {
                ok = fail_at(P, start, "invalid number \"%.*s\"", (int)(k - start > 40 ? 40 : k - start),
                             s + start);
                break;
            }
            o->kind = o->is_int ? V_INT : V_FLOAT;
            o->num = true;
            o->n = k - start;
            o->s = sl_malloc(o->n + 1);
            memcpy(o->s, s + start, o->n);
            o->s[o->n] = 0;
            t->kind = T_NUMBER;
            P->pos = k;
            ok = true;
            break;
        }
        if (name_start(c) || c == '`') {
            if (name_start(c)) {
                size_t k = P->pos;
                while (k < P->len && name_char(s[k]))
                    k++;
                if (k >= P->len || s[k] != '.') {
                    for (size_t w = 0; w < sizeof keywords / sizeof *keywords; w++) {
                        if (strlen(keywords[w].w) == k - start &&
                            memcmp(keywords[w].w, s + start, k - start) == 0) {
                            t->kind = keywords[w].k;
                            P->pos = k;
                            t->len = k - start;
                            return true;
                        }
                    }
                }
            }
            ok = lex_field(P, t);
            break;
        }
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
            ok = fail_at(P, start, "unexpected character '%c'", c);
        else
            ok = fail_at(P, start, "unexpected byte 0x%02x", (unsigned char)c);
        break;
    }
#undef TWO
#undef OP1
#undef OP2
    t->len = P->pos - start;
    if (!ok)
        operand_free(&t->v);
    return ok;
}

/* The current token as words for a message. */
static const char *tok_desc(const parser *P, char *buf, size_t cap)
{
    const token *t = &P->tok;
    if (t->kind == T_EOF)
        return "the end of the condition";
    size_t n = t->len > 40 ? 40 : t->len;
    snprintf(buf, cap, "\"%.*s%s\"", (int)n, P->s + t->pos, t->len > n ? "..." : "");
    return buf;
}

static const char *const word_ops[] = {"prefix", "suffix", "contains"};

/* Is the current token an operator? Word operators (prefix, suffix,
 * contains) are plain names in operator position. */
static bool tok_is_op(parser *P, cmp_op *op)
{
    token *t = &P->tok;
    if (t->kind == T_OP) {
        *op = t->op;
        return true;
    }
    if (t->kind == T_FIELD && t->word) {
        for (size_t w = 0; w < 3; w++) {
            if (strcmp(t->v.seg[0], word_ops[w]) == 0) {
                *op = (cmp_op)(OP_PREFIX + w);
                return true;
            }
        }
    }
    return false;
}

static bool take_operand(parser *P, operand *out)
{
    token *t = &P->tok;
    switch (t->kind) {
    case T_FIELD:
    case T_STRING:
    case T_NUMBER:
        *out = t->v;
        memset(&t->v, 0, sizeof t->v);
        return true;
    case T_TRUE:
    case T_FALSE:
        memset(out, 0, sizeof *out);
        out->kind = V_BOOL;
        out->b = t->kind == T_TRUE;
        return true;
    case T_NULL:
        memset(out, 0, sizeof *out);
        out->kind = V_NULL;
        return true;
    default:
        return false;
    }
}

static node *parse_or(parser *P, int depth);

static node *parse_exists(parser *P)
{
    if (!next(P))
        return NULL;
    bool paren = P->tok.kind == T_LPAREN;
    if (paren && !next(P))
        return NULL;
    if (P->tok.kind != T_FIELD) {
        char b[64];
        fail_at(P, P->tok.pos, "exists takes a field name, found %s", tok_desc(P, b, sizeof b));
        return NULL;
    }
    node *n = node_new(N_EXISTS);
    take_operand(P, &n->a);
    if (!next(P)) {
        node_free(n);
        return NULL;
    }
    if (paren) {
        if (P->tok.kind != T_RPAREN) {
            char b[64];
            fail_at(P, P->tok.pos, "expected ')' to close exists(, found %s",
                    tok_desc(P, b, sizeof b));
            node_free(n);
            return NULL;
        }
        if (!next(P)) {
            node_free(n);
            return NULL;
        }
    }
    return n;
}

static node *parse_primary(parser *P, int depth)
{
    char b[64];
    token *t = &P->tok;
    if (t->kind == T_LPAREN) {
        size_t open = t->pos;
        if (depth >= SL_CONDITION_MAX_DEPTH) {
            fail_at(P, t->pos, "condition nested too deeply (more than %d levels)",
                    SL_CONDITION_MAX_DEPTH);
            return NULL;
        }
        if (!next(P))
            return NULL;
        node *n = parse_or(P, depth + 1);
        if (!n)
            return NULL;
        if (P->tok.kind != T_RPAREN) {
            fail_at(P, P->tok.pos, "expected ')' (for the '(' %zu characters before), found %s",
                    P->tok.pos - open, tok_desc(P, b, sizeof b));
            node_free(n);
            return NULL;
        }
        if (!next(P)) {
            node_free(n);
            return NULL;
        }
        return n;
    }
    if (t->kind == T_EXISTS)
        return parse_exists(P);
    size_t left_pos = t->pos, left_len = t->len;
    tok_kind left_kind = t->kind;
    operand a;
    if (!take_operand(P, &a)) {
        fail_at(P, t->pos, "expected a comparison such as status >= 500, exists(field), "
                           "'not' or '(', found %s", tok_desc(P, b, sizeof b));
        return NULL;
    }
    if (!next(P)) {
        operand_free(&a);
        return NULL;
    }
    cmp_op op;
    if (!tok_is_op(P, &op)) {
        if (left_kind == T_TRUE || left_kind == T_FALSE) {
            node *n = node_new(N_CONST);
            n->value = left_kind == T_TRUE;
            return n;
        }
        operand_free(&a);
        if (left_kind == T_FIELD)
            fail_at(P, left_pos, "a field alone is not a condition: compare it "
                                 "(%.*s == \"x\") or test exists(%.*s)",
                    (int)(left_len > 40 ? 40 : left_len), P->s + left_pos,
                    (int)(left_len > 40 ? 40 : left_len), P->s + left_pos);
        else
            fail_at(P, P->tok.pos, "expected an operator (== != < <= > >= =~ !~ prefix "
                                   "suffix contains), found %s", tok_desc(P, b, sizeof b));
        return NULL;
    }
    size_t op_pos = P->tok.pos, op_len = P->tok.len;
    operand_free(&P->tok.v);        /* a word operator's name */
    if (!next(P)) {
        operand_free(&a);
        return NULL;
    }
    size_t right_pos = P->tok.pos;
    bool right_is_string = P->tok.kind == T_STRING;
    node *n = node_new(N_CMP);
    n->op = op;
    n->a = a;
    if (!take_operand(P, &n->b)) {
        fail_at(P, P->tok.pos, "expected a field or a value after the operator %.*s, found %s",
                (int)op_len, P->s + op_pos, tok_desc(P, b, sizeof b));
        node_free(n);
        return NULL;
    }
    if (op == OP_MATCH || op == OP_NMATCH) {
        if (!right_is_string) {
            fail_at(P, right_pos, "%s takes a regular expression in double quotes on its right",
                    op == OP_MATCH ? "=~" : "!~");
            node_free(n);
            return NULL;
        }
        char msg[200];
        size_t off = 0;
        if (!compile_regex(n, n->b.s, n->b.n, msg, sizeof msg, &off)) {
            fail_at(P, right_pos + 1 + off, "invalid regular expression: %s", msg);
            node_free(n);
            return NULL;
        }
    }
    if (!next(P)) {
        node_free(n);
        return NULL;
    }
    return n;
}

static node *parse_unary(parser *P, int depth)
{
    if (P->tok.kind != T_NOT)
        return parse_primary(P, depth);
    if (depth >= SL_CONDITION_MAX_DEPTH) {
        fail_at(P, P->tok.pos, "condition nested too deeply (more than %d levels)",
                SL_CONDITION_MAX_DEPTH);
        return NULL;
    }
    if (!next(P))
        return NULL;
    node *sub = parse_unary(P, depth + 1);
    if (!sub)
        return NULL;
    node *n = node_new(N_NOT);
    node_add(n, sub);
    return n;
}

/* and_expr / expr: an n-ary node, or the single operand. */
static node *parse_list(parser *P, int depth, tok_kind sep)
{
    node *first = sep == T_OR ? parse_list(P, depth, T_AND) : parse_unary(P, depth);
    if (!first || P->tok.kind != sep)
        return first;
    node *n = node_new(sep == T_OR ? N_OR : N_AND);
    node_add(n, first);
    while (P->tok.kind == sep) {
        if (!next(P)) {
            node_free(n);
            return NULL;
        }
        node *s = sep == T_OR ? parse_list(P, depth, T_AND) : parse_unary(P, depth);
        if (!s) {
            node_free(n);
            return NULL;
        }
        node_add(n, s);
    }
    return n;
}

static node *parse_or(parser *P, int depth) { return parse_list(P, depth, T_OR); }

sl_condition *sl_condition_parse(const char *text, size_t len, sl_condition_error *err)
{
    sl_condition_error dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    parser P = {.s = text, .len = len, .err = err};
    if (len > SL_CONDITION_MAX_LEN) {
        fail_at(&P, SL_CONDITION_MAX_LEN, "condition too long (more than %d bytes)",
                SL_CONDITION_MAX_LEN);
        return NULL;
    }
    if (!next(&P))
        return NULL;
    if (P.tok.kind == T_EOF) {
        fail_at(&P, 0, "empty condition");
        return NULL;
    }
    node *root = parse_or(&P, 0);
    if (root && P.tok.kind != T_EOF) {
        char b[64];
        cmp_op op;
        if (P.tok.kind == T_RPAREN)
            fail_at(&P, P.tok.pos, "unmatched ')'");
        else if (tok_is_op(&P, &op))
            fail_at(&P, P.tok.pos, "unexpected operator %s: put the comparison in "
                                   "parentheses or join it with and/or",
                    tok_desc(&P, b, sizeof b));
        else
            fail_at(&P, P.tok.pos, "expected 'and', 'or' or the end, found %s",
                    tok_desc(&P, b, sizeof b));
        node_free(root);
        root = NULL;
    }
    operand_free(&P.tok.v);
    return root ? wrap(root) : NULL;
}

/* ---- the map form ------------------------------------------------------------ */

typedef struct {
    char msg[256];
    const sl_node *at;
} map_err;

#define MERR(at_, ...) (snprintf(e->msg, sizeof e->msg, __VA_ARGS__), e->at = (at_), (node *)NULL)

static const char *const cmp_keys[] = {"equals", "not_equals", "matches", "lt", "le", "gt", "ge"};
static const cmp_op cmp_key_ops[] = {OP_EQ, OP_NE, OP_MATCH, OP_LT, OP_LE, OP_GT, OP_GE};

static node *map_parse(const sl_node *n, int depth, map_err *e)
{
    if (depth > SL_CONDITION_MAX_DEPTH)
        return MERR(n, "condition nested too deeply");
    if (!n || n->kind != SL_NODE_MAP || n->n == 0)
        return MERR(n, "a condition must be a map such as { field: F, equals: V } "
                       "(or a string such as 'status >= 500'), not %s",
                    n ? sl_node_kind_name(n) : "nothing");
    const sl_node *v;
    if ((v = sl_node_get(n, "any")) || (v = sl_node_get(n, "all"))) {
        bool any = sl_node_get(n, "any") != NULL;
        if (n->n != 1)
            return MERR(n, "'%s' must be the only key of its condition", any ? "any" : "all");
        if (v->kind != SL_NODE_SEQ || v->n == 0)
            return MERR(v, "'%s' takes a non-empty list of conditions", any ? "any" : "all");
        node *c = node_new(any ? N_OR : N_AND);
        for (size_t i = 0; i < v->n; i++) {
            node *s = map_parse(v->vals[i], depth + 1, e);
            if (!s) {
                node_free(c);
                return NULL;
            }
            node_add(c, s);
        }
        return c;
    }
    if ((v = sl_node_get(n, "not"))) {
        if (n->n != 1)
            return MERR(n, "'not' must be the only key of its condition");
        node *s = map_parse(v, depth + 1, e);
        if (!s)
            return NULL;
        node *c = node_new(N_NOT);
        node_add(c, s);
        return c;
    }
    if ((v = sl_node_get(n, "exists"))) {
        if (n->n != 1)
            return MERR(n, "'exists' must be the only key of its condition");
        if (v->kind != SL_NODE_SCALAR || v->is_null || !v->len)
            return MERR(v, "'exists' takes a field name");
        node *c = node_new(N_EXISTS);
        field_from_path(&c->a, v->str);
        return c;
    }
    const sl_node *f = sl_node_get(n, "field");
    if (!f || f->kind != SL_NODE_SCALAR || f->is_null || !f->len)
        return MERR(n, "a condition needs 'field' (or any:, all:, not:, exists:)");
    if (n->n != 2)
        return MERR(n, "a 'field' condition takes exactly one of equals, not_equals, "
                       "matches, lt, le, gt, ge");
    for (size_t k = 0; k < sizeof cmp_keys / sizeof *cmp_keys; k++) {
        if (!(v = sl_node_get(n, cmp_keys[k])))
            continue;
        if (v->kind != SL_NODE_SCALAR)
            return MERR(v, "'%s' takes a single value, not %s", cmp_keys[k], sl_node_kind_name(v));
        node *c = node_new(N_CMP);
        c->map_mode = true;
        c->op = cmp_key_ops[k];
        field_from_path(&c->a, f->str);
        operand *l = &c->b;
        l->kind = V_STR;
        l->n = v->is_null ? 0 : v->len;
        l->s = sl_malloc(l->n + 1);
        memcpy(l->s, v->is_null ? "" : v->str, l->n);
        l->s[l->n] = 0;
        l->num = parse_number(l->s, l->n, &l->is_int, &l->i, &l->d);
        if (c->op >= OP_LT && c->op <= OP_GE && !l->num) {
            node_free(c);
            return MERR(v, "'%s' takes a number, not \"%s\"", cmp_keys[k], v->str);
        }
        if (c->op == OP_MATCH) {
            char msg[200];
            size_t off;
            if (!compile_regex(c, l->s, l->n, msg, sizeof msg, &off)) {
                node_free(c);
                return MERR(v, "matches: %s", msg);
            }
        }
        return c;
    }
    return MERR(n, "a 'field' condition takes one of equals, not_equals, matches, lt, le, gt, ge");
}

/* ---- from a config node --------------------------------------------------------- */

static int utf8_chars(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

void sl_condition_position(const sl_node *n, size_t offset, int *line, int *col)
{
    *line = n ? n->line : 0;
    *col = n ? n->col : 0;
    if (!n || n->kind != SL_NODE_SCALAR || !n->str)
        return;
    if (offset > n->len)
        offset = n->len;
    size_t nl = 0, last = 0;
    for (size_t i = 0; i < offset; i++) {
        if (n->str[i] == '\n') {
            nl++;
            last = i + 1;
        }
    }
    if (nl == 0) {
        *col = n->col + (n->quoted ? 1 : 0) + utf8_chars(n->str, offset);
    } else {            /* a block scalar: its text starts on the next line */
        *line = n->line + (int)nl + (n->quoted ? 1 : 0);
        *col = 1 + utf8_chars(n->str + last, offset - last);
    }
}

sl_condition *sl_condition_from_node(const sl_node *n, const char *what, sl_diags *d)
{
    if (n && n->kind == SL_NODE_SCALAR) {
        if (n->is_null || n->len == 0) {
            sl_diag_error(d, n, "%s: empty condition (write one such as 'status >= 500')", what);
            return NULL;
        }
        sl_condition_error err;
        sl_condition *c = sl_condition_parse(n->str, n->len, &err);
        if (!c) {
            int line, col;
            sl_condition_position(n, err.offset, &line, &col);
            sl_diag_at(d, SL_DIAG_ERROR, n->file, line, col, "%s: %s", what, err.msg);
        }
        return c;
    }
    map_err e = {{0}, NULL};
    node *root = map_parse(n, 0, &e);
    if (!root) {
        sl_diag_error(d, e.at ? e.at : n, "%s: %s", what, e.msg);
        return NULL;
    }
    return wrap(root);
}

/* ---- evaluation --------------------------------------------------------------- */

/* A side of a comparison, resolved for one event. */
typedef struct {
    vkind kind;
    sl_val_type vt;         /* a field's own type */
    const char *s;          /* text (strings; a number literal's lexeme) */
    size_t n;
    bool num, is_int;
    int64_t i;
    double d;
    bool b;
    char buf[40];
} rv;

static sl_value *lookup(sl_event *ev, const operand *o)
{
    sl_fields *f = &ev->fields;
    for (size_t k = 0;; k++) {
        sl_value *v = sl_fields_get(f, o->seg[k], o->seg_len[k]);
        if (!v || k + 1 == o->n_seg)
            return v;
        if (v->type != SL_VAL_MAP)
            return NULL;
        f = v->u.map;
    }
}

static bool is_message(const operand *o)
{
    return o->n_seg == 1 && o->seg_len[0] == 7 && memcmp(o->seg[0], "message", 7) == 0;
}

static bool resolve(const operand *o, sl_event *ev, rv *r)
{
    memset(r, 0, offsetof(rv, buf));
    if (o->n_seg == 0) {
        r->kind = o->kind;
        r->vt = SL_VAL_NULL;
        r->s = o->s;
        r->n = o->n;
        r->num = o->num;
        r->is_int = o->is_int;
        r->i = o->i;
        r->d = o->d;
        r->b = o->b;
        return true;
    }
    sl_value *v = lookup(ev, o);
    if (!v) {
        if (!is_message(o))
            return false;
        r->kind = V_STR;
        r->vt = SL_VAL_STRING;
        r->s = ev->msg;
        r->n = ev->msg_len;
        r->num = parse_number(r->s, r->n, &r->is_int, &r->i, &r->d);
        return true;
    }
    r->vt = v->type;
    switch (v->type) {
    case SL_VAL_STRING:
        r->kind = V_STR;
        r->s = v->u.s.p;
        r->n = v->u.s.n;
        r->num = parse_number(r->s, r->n, &r->is_int, &r->i, &r->d);
        break;
    case SL_VAL_INT:
    case SL_VAL_TIME:
        r->kind = V_INT;
        r->num = r->is_int = true;
        r->i = v->type == SL_VAL_INT ? v->u.i : v->u.t_ns;
        r->d = (double)r->i;
        break;
    case SL_VAL_FLOAT:
        r->kind = V_FLOAT;
        r->num = !isnan(v->u.f);
        r->d = v->u.f;
        break;
    case SL_VAL_BOOL:
        r->kind = V_BOOL;
        r->b = v->u.b;
        break;
    case SL_VAL_NULL:
        r->kind = V_NULL;
        break;
    default:
        r->kind = V_OTHER;
        break;
    }
    return true;
}

/* The text of a value (numbers and booleans as written); false for maps. */
static bool text_of(rv *r, const char **p, size_t *n)
{
    switch (r->kind) {
    case V_STR:
        break;
    case V_INT:
        if (!r->s) {
            r->n = (size_t)snprintf(r->buf, sizeof r->buf, "%" PRId64, r->i);
            r->s = r->buf;
        }
        break;
    case V_FLOAT:
        if (!r->s) {
            int k = snprintf(r->buf, sizeof r->buf, "%.15g", r->d);
            if (strtod(r->buf, NULL) != r->d)
                k = snprintf(r->buf, sizeof r->buf, "%.17g", r->d);
            r->n = (size_t)k;
            r->s = r->buf;
        }
        break;
    case V_BOOL:
        r->s = r->b ? "true" : "false";
        r->n = r->b ? 4 : 5;
        break;
    case V_NULL:
        r->s = "null";
        r->n = 4;
        break;
    default:
        return false;
    }
    *p = r->s;
    *n = r->n;
    return true;
}

/* -1, 0, 1; 2 when unordered (NaN). */
static int num_cmp(const rv *a, const rv *b)
{
    if (a->is_int && b->is_int)
        return (a->i > b->i) - (a->i < b->i);
    double x = a->is_int ? (double)a->i : a->d, y = b->is_int ? (double)b->i : b->d;
    if (isnan(x) || isnan(y))
        return 2;
    return (x > y) - (x < y);
}

static int text_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c < 0 ? -1 : 1;
    return (an > bn) - (an < bn);
}

/* The ordering of two values; false when they cannot be ordered. */
static bool order(rv *a, rv *b, int *out)
{
    if (a->num && b->num) {
        *out = num_cmp(a, b);
        return *out != 2;
    }
    if (a->kind == V_NULL || b->kind == V_NULL)
        return false;
    const char *ap, *bp;
    size_t an, bn;
    if (!text_of(a, &ap, &an) || !text_of(b, &bp, &bn))
        return false;
    *out = text_cmp(ap, an, bp, bn);
    return true;
}

static bool equal(rv *a, rv *b)
{
    if (a->num && b->num)
        return num_cmp(a, b) == 0;
    if (a->kind == V_NULL || b->kind == V_NULL)
        return a->kind == b->kind;
    if (a->kind == V_BOOL && b->kind == V_BOOL)
        return a->b == b->b;
    const char *ap, *bp;
    size_t an, bn;
    if (!text_of(a, &ap, &an) || !text_of(b, &bp, &bn))
        return false;
    return an == bn && memcmp(ap, bp, an) == 0;
}

static bool re_match(const node *n, const char *p, size_t len)
{
    return pcre2_match(n->re, (PCRE2_SPTR)p, len, 0, 0, thread_match_data(), NULL) >= 0;
}

/* The filter's original rules (map form): b is the literal's text. */
static bool map_equals(const rv *v, const rv *lit)
{
    switch (v->vt) {
    case SL_VAL_STRING:
        return v->n == lit->n && memcmp(v->s, lit->s, lit->n) == 0;
    case SL_VAL_INT:
    case SL_VAL_FLOAT:
        return lit->num && v->num && num_cmp(v, lit) == 0;
    case SL_VAL_BOOL:
        return lit->n == (v->b ? 4u : 5u) && memcmp(lit->s, v->b ? "true" : "false", lit->n) == 0;
    case SL_VAL_NULL:
        return lit->n == 0 || (lit->n == 4 && memcmp(lit->s, "null", 4) == 0);
    default:
        return false;
    }
}

static bool eval_map_cmp(const node *n, rv *v, rv *lit)
{
    switch (n->op) {
    case OP_EQ: return map_equals(v, lit);
    case OP_NE: return !map_equals(v, lit);
    case OP_MATCH: return v->vt == SL_VAL_STRING && re_match(n, v->s, v->n);
    default: break;
    }
    if (!v->num || v->vt == SL_VAL_TIME || v->vt == SL_VAL_BOOL)
        return false;
    int c = num_cmp(v, lit);
    switch (n->op) {
    case OP_LT: return c == -1;
    case OP_LE: return c == -1 || c == 0;
    case OP_GT: return c == 1;
    case OP_GE: return c == 1 || c == 0;
    default: return false;
    }
}

static bool eval_cmp(const node *n, sl_event *ev)
{
    rv a, b;
    if (!resolve(&n->a, ev, &a) || !resolve(&n->b, ev, &b))
        return false;
    if (n->map_mode)
        return eval_map_cmp(n, &a, &b);
    const char *ap, *bp;
    size_t an, bn;
    int c;
    switch (n->op) {
    case OP_EQ: return equal(&a, &b);
    case OP_NE: return !equal(&a, &b);
    case OP_LT: return order(&a, &b, &c) && c < 0;
    case OP_LE: return order(&a, &b, &c) && c <= 0;
    case OP_GT: return order(&a, &b, &c) && c > 0;
    case OP_GE: return order(&a, &b, &c) && c >= 0;
    case OP_MATCH:
    case OP_NMATCH:
        if (!text_of(&a, &ap, &an))
            return false;
        return re_match(n, ap, an) == (n->op == OP_MATCH);
    case OP_PREFIX:
    case OP_SUFFIX:
    case OP_CONTAINS:
        if (!text_of(&a, &ap, &an) || !text_of(&b, &bp, &bn) || bn > an)
            return false;
        if (n->op == OP_PREFIX)
            return memcmp(ap, bp, bn) == 0;
        if (n->op == OP_SUFFIX)
            return memcmp(ap + an - bn, bp, bn) == 0;
        return bn == 0 || memmem(ap, an, bp, bn) != NULL;
    }
    return false;
}

static bool eval(const node *n, sl_event *ev)
{
    switch (n->kind) {
    case N_CONST:
        return n->value;
    case N_OR:
        for (size_t i = 0; i < n->n_sub; i++)
            if (eval(n->sub[i], ev))
                return true;
        return false;
    case N_AND:
        for (size_t i = 0; i < n->n_sub; i++)
            if (!eval(n->sub[i], ev))
                return false;
        return true;
    case N_NOT:
        return !eval(n->sub[0], ev);
    case N_EXISTS:
        return lookup(ev, &n->a) != NULL || is_message(&n->a);
    case N_CMP:
        return eval_cmp(n, ev);
    }
    return false;
}

bool sl_condition_eval(const sl_condition *c, sl_event *ev)
{
    return eval(c->root, ev);
}

/* ---- for sample and dedup ------------------------------------------------------ */

bool sl_condition_field_text(sl_event *ev, const char *path, char buf[40], const char **p,
                             size_t *n)
{
    sl_fields *f = &ev->fields;
    const char *seg = path;
    sl_value *v;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        v = sl_fields_get(f, seg, len);
        if (!v || !dot)
            break;
        if (v->type != SL_VAL_MAP)
            return false;
        f = v->u.map;
        seg = dot + 1;
    }
    if (!v) {
        if (strcmp(path, "message") != 0)
            return false;
        *p = ev->msg;
        *n = ev->msg_len;
        return true;
    }
    rv r;
    memset(&r, 0, sizeof r);
    switch (v->type) {
    case SL_VAL_STRING:
        *p = v->u.s.p;
        *n = v->u.s.n;
        return true;
    case SL_VAL_INT:
    case SL_VAL_TIME:
        r.kind = V_INT;
        r.i = v->type == SL_VAL_INT ? v->u.i : v->u.t_ns;
        break;
    case SL_VAL_FLOAT:
        r.kind = V_FLOAT;
        r.d = v->u.f;
        break;
    case SL_VAL_BOOL:
        r.kind = V_BOOL;
        r.b = v->u.b;
        break;
    case SL_VAL_NULL:
        r.kind = V_NULL;
        break;
    default:
        return false;
    }
    if (!text_of(&r, p, n))
        return false;
    if (*p == r.buf) {
        memcpy(buf, r.buf, *n);
        *p = buf;
    }
    return true;
}

uint64_t sl_condition_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    /* splitmix64's finalizer */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}
