/* admin.h: the admin HTTP endpoint (service.admin.listen), served by evhttp
 * on the I/O thread: GET /health (200 while running; 503 with a JSON
 * reason while draining or reloading, or when a destination has failed
 * for service.admin.failing_after), GET /metrics (Prometheus text format,
 * read from the runtime's atomic counters) and GET /status (a JSON
 * snapshot, what `sluice status` shows). */
#ifndef SLUICE_ADMIN_H
#define SLUICE_ADMIN_H

#include <stdint.h>

typedef struct sl_runtime sl_runtime;
typedef struct sl_admin sl_admin;

/* Split "HOST:PORT" ("[v6]:PORT" for IPv6) into a malloc'd host (brackets
 * removed) and a port 1-65535. Returns 0, or -1 with *why set. */
int sl_admin_parse_listen(const char *s, char **host, uint16_t *port, const char **why);
/* Bind and serve on rt's event loop; NULL on error (logged). */
sl_admin *sl_admin_start(sl_runtime *rt, const char *listen);
/* Stop listening and free (I/O thread, before the event base goes). */
void sl_admin_free(sl_admin *a);

#endif
