/* main.c - likeness: the command-line tool. Finds the command in the table
 * below, parses its options (cli_opts.c) and runs it. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli.h"

static const struct cli_cmd *const cli_cmds[] = {
  &cli_cmd_describe, &cli_cmd_detect, &cli_cmd_encode, &cli_cmd_recognize,
  &cli_cmd_compare, &cli_cmd_bench, &cli_cmd_rgb, &cli_cmd_serve,
};

#define CLI_N_CMDS (int)(sizeof cli_cmds / sizeof cli_cmds[0])

static void cli_usage(FILE *f)
{
  int i;
  fprintf(f, "usage: likeness COMMAND [options] [ARGS...]\n\ncommands:\n");
  for(i = 0; i < CLI_N_CMDS; i++)
    fprintf(f, "  %-10s %s\n", cli_cmds[i]->name, cli_cmds[i]->summary);
  fprintf(f, "  %-10s %s\n", "version", "print the version and build");
  fprintf(f, "\n'likeness COMMAND --help' shows a command's options and "
          "defaults.\n");
}

static const struct cli_cmd *cli_find(const char *name)
{
  int i;
  for(i = 0; i < CLI_N_CMDS; i++) {
    if(!strcmp(cli_cmds[i]->name, name))
      return cli_cmds[i];
  }
  return NULL;
}

static int cli_run(const struct cli_cmd *cmd, int argc, char **argv)
{
  struct cli_ctx c;
  int rc;

  cli_ctx_init(&c, cmd);
  rc = cli_parse(&c, argc, argv);
  if(rc == -1)
    return CLI_EXIT_OK;   /* --help was printed */
  if(!rc)
    rc = cmd->run(&c);
  cli_ctx_clear(&c);
  return rc;
}

int main(int argc, char **argv)
{
  cJSON_Hooks hooks = { lk_malloc, lk_free };
  const struct cli_cmd *cmd;
  const char *name = argc > 1 ? argv[1] : NULL;

  /* cJSON allocates through the counted allocator like everything else */
  cJSON_InitHooks(&hooks);
  /* the engine's info lines would mix with a command's own output */
  lk_log_set_level(LK_LOG_WARN);
  if(!name) {
    cli_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if(!strcmp(name, "--help") || !strcmp(name, "-h") ||
     !strcmp(name, "help")) {
    cli_usage(stdout);
    return CLI_EXIT_OK;
  }
  if(!strcmp(name, "version") || !strcmp(name, "--version")) {
    printf("likeness %s (%s)\n", LK_VERSION, cli_build_info());
    return CLI_EXIT_OK;
  }
  cmd = cli_find(name);
  if(!cmd) {
    fprintf(stderr, "likeness: unknown command '%s'\n", name);
    cli_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  return cli_run(cmd, argc - 1, argv + 1);
}
