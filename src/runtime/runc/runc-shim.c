/*
 * stratus-runc-shim PIDFILE RUNC ARGS...: runs `RUNC ARGS...` (a `runc run --detach`) as a child
 * subreaper, so the container's init, orphaned when runc exits, becomes its child; then waits for
 * that init (its host pid read from PIDFILE) and exits with its status as `runc run` would (the
 * code, or 128 + the signal). runc's own failure exits with runc's code. Other orphans are reaped.
 * TERM, INT and HUP are caught (so the shim outlives a signal to its group); runc gets them back
 * at default on exec. Built by the Makefile into dist/stratus-runc-shim.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void ignore(int sig) { (void)sig; }

static int code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: stratus-runc-shim PIDFILE RUNC ARGS...\n");
    return 125;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    perror("stratus-runc-shim: PR_SET_CHILD_SUBREAPER");
    return 125;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = ignore;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  pid_t runc = fork();
  if (runc < 0) {
    perror("stratus-runc-shim: fork");
    return 125;
  }
  if (runc == 0) {
    execvp(argv[2], argv + 2);
    perror("stratus-runc-shim: exec");
    _exit(127);
  }
  /* Children reaped before runc's exit told us the init's pid: runc's exit reparents the init
   * (maybe dead already) to us before runc itself can be reaped. */
  pid_t early[64];
  int early_status[64];
  int n = 0;
  pid_t init = 0;
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "stratus-runc-shim: the container's init is not our child\n");
      return 255;
    }
    if (pid == runc) {
      if (code_of(status) != 0) return code_of(status);
      FILE *f = fopen(argv[1], "r");
      long p = 0;
      if (f == NULL || fscanf(f, "%ld", &p) != 1 || p <= 0) {
        fprintf(stderr, "stratus-runc-shim: no pid in %s\n", argv[1]);
        return 255;
      }
      fclose(f);
      init = (pid_t)p;
      for (int i = 0; i < n; i++)
        if (early[i] == init) return code_of(early_status[i]);
    } else if (init != 0 && pid == init) {
      return code_of(status);
    } else if (init == 0 && n < 64) {
      early[n] = pid;
      early_status[n++] = status;
    }
  }
}
