/* privileges.h: least privilege. `service.user` / `service.group` name the
 * account sluice runs as once everything that may need root is open
 * (privileged ports, root-only log files, destinations): the runtime calls
 * sl_privileges_drop() after the sources have started and before the
 * first event flows. */
#ifndef SLUICE_PRIVILEGES_H
#define SLUICE_PRIVILEGES_H

#include <stdbool.h>

#include "config.h"
#include "pipeline_config.h"

/* Config time (also `--check`): service.user and service.group must name
 * an existing user and group (or be numeric ids); service.group needs
 * service.user. Errors go to `d` at the options' nodes (`svc` is the
 * service map, may be NULL). */
void sl_privileges_check_config(const sl_service_cfg *svc, const sl_node *svc_node,
                                sl_diags *d);

/* Before anything starts: with service.user set, sluice must be root, or
 * already be that user (and group). 0, or -1 with the reason logged. */
int sl_privileges_preflight(const sl_service_cfg *svc);

/* After every source and destination has opened what it needs, still as
 * root: create service.state_dir if missing, make it, its checkpoints/ and
 * buffers/ trees and every disk buffer's directory belong to the target
 * user, then switch groups, gid and uid and verify that root cannot be
 * regained. A no-op without service.user, or when sluice already runs as
 * that user. 0, or -1 with the reason logged (a startup failure). */
int sl_privileges_drop(const sl_config *cfg);

/* True once sl_privileges_drop() has switched this process away from root:
 * what root opened stays open, but nothing root-only can be opened again
 * (a reload, which executes sluice again, runs as the target user). */
bool sl_privileges_dropped(void);

#endif
