/* did_you_mean.c: edit distance and the closest-candidate suggestion used
 * for misspelt option, section and plugin names. */
#include "util/did_you_mean.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static size_t min_of(size_t a, size_t b) { return a < b ? a : b; }

static int fold(char c) { return tolower((unsigned char)c); }

size_t sl_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == 0)
        return lb;
    if (lb == 0)
        return la;
    /* Three rows of the dynamic-programming table: i-2, i-1 and i. */
    size_t *rows = sl_malloc(3 * (lb + 1) * sizeof *rows);
    size_t *before_prev = rows, *prev = rows + (lb + 1), *cur = rows + 2 * (lb + 1);
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = fold(a[i - 1]) != fold(b[j - 1]);
            size_t best = min_of(prev[j] + 1, cur[j - 1] + 1);
            best = min_of(best, prev[j - 1] + cost);
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
                fold(a[i - 2]) == fold(b[j - 1]))
                best = min_of(best, before_prev[j - 2] + 1);
            cur[j] = best;
        }
        size_t *oldest = before_prev;
        before_prev = prev;
        prev = cur;
        cur = oldest;
    }
    size_t result = prev[lb];
    free(rows);
    return result;
}

size_t sl_typo_limit(const char *word)
{
    size_t limit = strlen(word) / 3;
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    return limit;
}

const char *sl_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
    size_t limit = sl_typo_limit(word);
    size_t word_len = strlen(word);
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t cand_len = strlen(candidates[i]);
        size_t len_gap = cand_len > word_len ? cand_len - word_len : word_len - cand_len;
        if (len_gap > limit)
            continue;   /* the distance is at least the length difference */
        size_t distance = sl_edit_distance(word, candidates[i]);
        if (distance <= limit && distance < best_distance) {
            best = candidates[i];
            best_distance = distance;
        }
    }
    return best;
}
