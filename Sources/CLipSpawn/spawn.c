#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#include "CLipSpawn.h"

void liplua_close_descriptors_from(int first) {
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0) return;
#endif
    for (int fd = first; fd < 4096; fd++) close(fd);
}

int liplua_spawn(const char *path, char *const argv[], int out_fd, int *error) {
    volatile int child_errno = 0;
    pid_t parent = getpid();
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) { *error = errno; return -1; }
    /* vfork: the child shares our memory until exec, so it only makes system calls and writes
       child_errno (which the parent reads after the child has exec'd or exited). */
    pid_t pid = vfork();
    if (pid == 0) {
        setpgid(0, 0);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);   /* the parent died before prctl */
#endif
        if (dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) {
            child_errno = errno; _exit(127);
        }
        liplua_close_descriptors_from(3);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execv(path, argv);
        child_errno = errno;
        _exit(127);
    }
    int saved = errno;
    close(devnull);
    if (pid < 0) { *error = saved; return -1; }
    if (child_errno != 0) {
        /* exec failed: reap the child that reported it. */
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        *error = child_errno;
        return -1;
    }
    *error = 0;
    return (int)pid;
}

static int reap(pid_t pid, int *code, liplua_child_usage *usage) {
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    kill(-pid, SIGKILL);          /* stragglers in the group; the leader is still a zombie, so its pid cannot be reused */
    for (;;) {
        pid_t r = wait4(pid, &st, 0, &ru);
        if (r == pid) break;
        if (r < 0 && errno == EINTR) continue;
        *code = errno; return -1;
    }
    if (usage) {
        usage->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
                           + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        usage->peak_bytes = (double)ru.ru_maxrss * 1024.0;   /* Linux: kilobytes */
    }
    if (WIFEXITED(st)) { *code = WEXITSTATUS(st); return 1; }
    if (WIFSIGNALED(st)) { *code = WTERMSIG(st); return 2; }
    *code = 0; return 1;
}

int liplua_spawn_poll(int pid, int *code, liplua_child_usage *usage) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    for (;;) {
        int r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
        if (r == 0) break;
        if (errno == EINTR) continue;
        *code = errno; return -1;
    }
    if (info.si_pid == 0) return 0;   /* still running */
    return reap((pid_t)pid, code, usage);
}

int liplua_spawn_kill(int pid, int *code, liplua_child_usage *usage) {
    kill(-(pid_t)pid, SIGKILL);
    kill((pid_t)pid, SIGKILL);
    return reap((pid_t)pid, code, usage);
}

int liplua_process_exists(int pid) {
    if (pid <= 0) return 0;
    if (kill((pid_t)pid, 0) == 0) return 1;
    return errno == EPERM ? 1 : 0;
}
