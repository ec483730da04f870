/* options.h: option tables. Every plugin (and the service section) declares
 * its options in one table; that table drives parsing, validation, defaults,
 * error messages, `sluice --help-plugin` and the man page. */
#ifndef SLUICE_OPTIONS_H
#define SLUICE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "util/did_you_mean.h"
#include "util/units.h"

typedef enum {
    SL_OPT_STRING,    /* char *  (malloc'd; NULL when absent with no default) */
    SL_OPT_BOOL,      /* bool    (true/false, yes/no, on/off) */
    SL_OPT_INT,       /* int64_t; "auto" is accepted and stored as 0 when
                         the option has SL_OPTF_AUTO */
    SL_OPT_SIZE,      /* uint64_t bytes: 512, 64KiB, 64MiB, 2GiB, 1.5MB, 10kB */
    SL_OPT_DURATION,  /* int64_t nanoseconds: 250ms, 5s, 1m30s, 2h, 1d, 0 */
    SL_OPT_ENUM,      /* int, index into `choices` */
    SL_OPT_STRLIST,   /* sl_strlist; a single string is accepted as a list of one */
    SL_OPT_STRMAP,    /* sl_strmap: a map of string -> string */
    SL_OPT_NODE,      /* const sl_node *: left for the plugin to interpret */
} sl_opt_type;

enum {
    SL_OPTF_REQUIRED = 1u << 0,
    SL_OPTF_AUTO     = 1u << 1,  /* INT: the word "auto" means 0 ("decide") */
    SL_OPTF_SECRET   = 1u << 2,  /* never printed (help shows no default); unless
                                    a map or a node, also accepted as NAME_file:
                                    the path of a file holding the value, read
                                    once when the config is applied */
};

/* Largest secret file (NAME_file) accepted. */
#define SL_SECRET_FILE_MAX (64u * 1024)

typedef struct {
    char **v;
    size_t n;
} sl_strlist;

typedef struct {
    char **keys;
    char **vals;
    size_t n;
} sl_strmap;

typedef struct sl_option {
    const char *name;     /* nested options use dots: "batch.max_events"
                             is written `batch: { max_events: N }` */
    sl_opt_type type;
    const char *def;      /* default, written as in a config file; NULL: none */
    unsigned flags;
    int64_t min, max;     /* inclusive range for INT/SIZE/DURATION when
                             min < max; ignored when both are 0 */
    const char *const *choices;  /* ENUM: NULL-terminated list of words */
    size_t offset;        /* where the value goes in the output struct */
    const char *help;     /* one line */
} sl_option;

/* A table ends with an entry whose name is NULL. */
#define SL_OPT_END { NULL, 0, NULL, 0, 0, 0, NULL, 0, NULL }

/* One table and the struct its offsets point into. */
typedef struct {
    const sl_option *opts;
    void *out;
} sl_optset;

/* Validate the MAP node `map` against the union of the given tables and fill
 * each output struct: every key must be an option of one of the tables
 * (nested maps for dotted names), or NAME_file for a secret option NAME (the
 * file's content, trailing newlines dropped, is the value; an unreadable,
 * empty or oversized file is an error, one every user may read a warning,
 * and both NAME and NAME_file an error); unknown keys get a "did you mean" when a
 * close name exists; values are type- and range-checked; defaults are
 * applied; missing required options are reported at `where` (the name of
 * the thing, typically), or at the map when `where` is NULL. `what` names
 * the thing in messages, e.g. `destination "s3_archive"`, giving
 * `file:12:5: error: destination "s3_archive": unknown option "bukcet" (did you mean "bucket"?)`.
 * Keys listed in `ignore` (NULL-terminated, may be NULL) are skipped (e.g.
 * "type", handled by the caller). A NULL `map` means "no options given":
 * defaults apply.
 * Returns the number of errors added to `d`. */
size_t sl_options_apply(const sl_optset *sets, size_t nsets, const sl_node *map,
                        const sl_node *where, const char *what,
                        const char *const *ignore, sl_diags *d);

/* Free what sl_options_apply allocated in each output struct. */
void sl_options_free(const sl_optset *sets, size_t nsets);

/* Print a table as help: one block per option (name, type, default or
 * "required", range or choices, help). */
void sl_options_print_help(FILE *out, const sl_option *opts);
/* Print a table as man(7) source for sluice.yaml(5). */
void sl_options_print_man(FILE *out, const sl_option *opts);
/* Name of a type for help and messages ("size", "duration", "list of strings"…). */
const char *sl_opt_type_name(sl_opt_type t);

/* Unit parsing and formatting (sl_parse_size, sl_parse_duration,
 * sl_parse_int, sl_parse_bool, sl_format_duration, sl_format_size; sizes
 * also accept k/K/M/G as binary units, as nginx does) are declared in
 * util/units.h, and sl_did_you_mean (the closest candidate to a word, or
 * NULL when none is a plausible typo) in util/did_you_mean.h; both are
 * included here for the option tables' users. */

#endif
