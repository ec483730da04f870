/* listen_fds.h: listening sockets handed from one sluice to the next
 * across a reload. A reload (SIGHUP with a valid new config) drains the
 * pipeline and re-executes sluice in the same process; the listening
 * sockets of the network sources are not closed but offered here, keyed by
 * their listen URL, passed through the environment (SLUICE_LISTEN_FDS) and
 * taken again by the sources of the new config that listen on the same
 * URL. So a port is never unbound: connections queue in its backlog and
 * datagrams in its receive buffer meanwhile. Sockets nobody takes (a
 * source removed by the reload) are closed once every source has started.
 * I/O thread only. */
#ifndef SLUICE_LISTEN_FDS_H
#define SLUICE_LISTEN_FDS_H

#include <stdbool.h>

/* Read SLUICE_LISTEN_FDS (and unset it) at startup. */
void sl_listen_fds_init(void);
/* An inherited socket for this URL (the caller owns it), or -1. */
int sl_listen_fds_take(const char *url);
/* Close inherited sockets no source took. */
void sl_listen_fds_close_unused(void);

/* A reload is handing sockets over: sources offer theirs instead of
 * closing them (and leave unix socket files in place). */
void sl_listen_fds_begin_handover(void);
bool sl_listen_fds_handover(void);
/* Keep fd open across exec for `url`. */
void sl_listen_fds_offer(const char *url, int fd);
/* Put the offered sockets into the environment for the next exec. */
void sl_listen_fds_export(void);

#endif
