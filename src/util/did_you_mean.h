/* did_you_mean.h: "did you mean ...?" suggestions for misspelt names. */
#ifndef SLUICE_UTIL_DID_YOU_MEAN_H
#define SLUICE_UTIL_DID_YOU_MEAN_H

#include <stddef.h>

/* Edit distance between two words, ignoring ASCII case: insertions,
 * deletions, substitutions and transpositions of adjacent letters
 * (optimal string alignment) each count one. */
size_t sl_edit_distance(const char *a, const char *b);

/* The largest distance at which `candidate` is still a plausible typo of
 * `word`: a third of the word's length, at least 1 and at most 3. */
size_t sl_typo_limit(const char *word);

/* The closest candidate to `word` by edit distance (the first of equally
 * close ones), or NULL when none is within sl_typo_limit(word). */
const char *sl_did_you_mean(const char *word, const char *const *candidates,
                            size_t n);

#endif
