/* broker.h - a real mosquitto broker for tests: started on a free loopback
 * port with a scratch config, stopped (politely or with SIGKILL) and
 * started again on the same port. listener_conf adds lines to the
 * listener (a TLS listener's cafile, certfile, keyfile, ...). Header-only,
 * for tests only. */
#ifndef LK_TEST_BROKER_H
#define LK_TEST_BROKER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct broker {
  char dir[64];             /* scratch folder: config, password file */
  int port;
  pid_t pid;
  const char *listener_conf;  /* lines after "listener"; NULL: none */
};

static inline void broker_sleep_ms(unsigned ms)
{
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static inline int broker_free_port(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) &&
     !getsockname(fd, (struct sockaddr *)&a, &len))
    port = ntohs(a.sin_port);
  if(fd >= 0)
    close(fd);
  return port;
}

static inline int broker_accepting(int port)
{
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof a);
  if(fd >= 0)
    close(fd);
  return ok;
}

static inline const char *broker_binary(void)
{
  return access("/usr/sbin/mosquitto", X_OK) == 0 ? "/usr/sbin/mosquitto"
                                                   : "mosquitto";
}

/* Write the config (anonymous, or users from `passwd` lines "user:pass"
 * hashed with mosquitto_passwd) and start; 0 once it accepts. */
static inline int broker_start(struct broker *b, const char *users)
{
  char path[128], cmd[512];
  FILE *f;
  int i;

  if(!b->dir[0]) {
    snprintf(b->dir, sizeof b->dir, "/tmp/lk_broker_XXXXXX");
    if(!mkdtemp(b->dir))
      return -1;
    b->port = broker_free_port();
  }
  snprintf(path, sizeof path, "%s/mosquitto.conf", b->dir);
  if(!(f = fopen(path, "w")))
    return -1;
  fprintf(f, "listener %d 127.0.0.1\n%s", b->port,
          b->listener_conf ? b->listener_conf : "");
  fprintf(f, "persistence false\n");
  /* as root, mosquitto would drop to user mosquitto, who cannot read
   * the scratch folder's password file */
  if(geteuid() == 0)
    fprintf(f, "user root\n");
  if(users) {
    fprintf(f, "allow_anonymous false\npassword_file %s/passwd\n", b->dir);
    snprintf(cmd, sizeof cmd, "printf '%%s\\n' '%s' > %s/passwd && "
             "mosquitto_passwd -U %s/passwd", users, b->dir, b->dir);
    if(system(cmd) != 0) {
      fclose(f);
      return -1;
    }
  } else {
    fprintf(f, "allow_anonymous true\n");
  }
  fclose(f);
  b->pid = fork();
  if(b->pid == 0) {
    int devnull = open("/dev/null", 1);
    if(devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execl(broker_binary(), "mosquitto", "-c", path, (char *)NULL);
    _exit(127);
  }
  for(i = 0; i < 200 && b->pid > 0; i++) {
    if(broker_accepting(b->port))
      return 0;
    broker_sleep_ms(25);
  }
  return -1;
}

static inline void broker_stop(struct broker *b, int sig)
{
  if(b->pid > 0) {
    kill(b->pid, sig);
    waitpid(b->pid, NULL, 0);
    b->pid = 0;
  }
}

static inline void broker_cleanup(struct broker *b)
{
  char cmd[128];
  broker_stop(b, SIGTERM);
  if(b->dir[0]) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
    if(system(cmd) != 0)
      fprintf(stderr, "cannot remove %s\n", b->dir);
  }
}

#endif
