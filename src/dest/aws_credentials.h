/* aws_credentials.h: AWS credentials for the S3 destination, found in the
 * order AWS's own tools use: the destination's config, the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the shared
 * credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, the
 * profile from the config, AWS_PROFILE or "default"), then the EC2
 * instance metadata service (IMDSv2: a session token, then the role's
 * temporary credentials, refreshed before they expire). Secrets are never
 * logged: messages name only where credentials came from and the key id. */
#ifndef SLUICE_DEST_AWS_CREDENTIALS_H
#define SLUICE_DEST_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char access_key_id[128];
    char secret_access_key[256];
    char session_token[4096];   /* "" when none */
    int64_t expires;            /* unix seconds; 0 = does not expire */
    char source[96];            /* where they came from, for messages */
} sl_aws_creds;

typedef struct sl_aws_provider sl_aws_provider;

/* cfg_* may be NULL (not configured). `imds_endpoint` NULL means
 * AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254. */
sl_aws_provider *sl_aws_provider_new(const char *cfg_key, const char *cfg_secret,
                                     const char *cfg_token, const char *cfg_profile);
/* Current credentials; temporary ones are refreshed 5 minutes before they
 * expire (or when they have). -1 with a message in err when none can be
 * found. */
int sl_aws_provider_get(sl_aws_provider *p, sl_aws_creds *out, char *err, size_t errlen);
void sl_aws_provider_free(sl_aws_provider *p);

/* For tests: credentials of `profile` in the text of a shared credentials
 * file. 0 when found, -1 otherwise. */
int sl_aws_parse_credentials_file(const char *text, const char *profile, sl_aws_creds *out);
/* For tests: the IMDS credentials document (JSON). */
int sl_aws_parse_imds_document(const char *json, sl_aws_creds *out, char *err, size_t errlen);

#endif
