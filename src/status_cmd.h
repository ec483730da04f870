/* status_cmd.h: `sluice status`: read a running sluice's GET /status from
 * its admin endpoint and print a table (sources, destinations, pipelines),
 * once or, with --watch, refreshed with rates until interrupted. */
#ifndef SLUICE_STATUS_CMD_H
#define SLUICE_STATUS_CMD_H

/* argv[0] is "status". Returns an exit code. */
int sl_status_main(int argc, char **argv, const char *default_config);

#endif
