/* stdout.c: the `stdout` destination: encoded events on standard output. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dest.h"
#include "util/fd_write.h"
#include "log.h"
#include "runtime.h"
#include "util/buf.h"
#include "util/xalloc.h"

typedef struct {
    sl_buf out;
} stdout_state;

static int stdout_open(sl_dest *d)
{
    d->state = sl_calloc(1, sizeof(stdout_state));
    return 0;
}

static sl_send_result stdout_send(sl_dest *d, sl_event *const *evs, size_t n)
{
    const sl_buf *body = sl_dest_body(d, evs, n);   /* encoded (and compressed) once */
    if (sl_write_all(STDOUT_FILENO, body->p, body->len))
        return SL_SEND_OK;
    if (errno == EPIPE || errno == EBADF) {
        sl_error("stdout", "destination \"%s\": standard output is closed (%s)", d->name,
                 strerror(errno));
        return SL_SEND_FAIL;
    }
    sl_error("stdout", "destination \"%s\": write failed: %s", d->name, strerror(errno));
    return SL_SEND_RETRY;
}

static void stdout_close(sl_dest *d)
{
    stdout_state *st = d->state;
    if (!st)
        return;
    sl_buf_free(&st->out);
    free(st);
    d->state = NULL;
}

static const sl_dest_ops stdout_ops = {
    .open = stdout_open,
    .send = stdout_send,
    .close = stdout_close,
    .write_when_idle = true,
};

const sl_plugin sl_dest_stdout = {
    .name = "stdout",
    .kind = SL_PLUGIN_DEST,
    .summary = "Encoded events on standard output (for trying pipelines out).",
    .options = NULL,
    .config_size = 0,
    .dest = &stdout_ops,
};
