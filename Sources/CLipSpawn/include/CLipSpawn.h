#ifndef LIPLUA_CLIPSPAWN_H
#define LIPLUA_CLIPSPAWN_H
/* Child processes for external solvers (e.g. COIN-OR Clp, whose licence keeps it out of the
   liplua binary). A child started here
     - runs in its own process group (the terminal's Ctrl-C does not reach it; the caller
       decides when it stops, and killing the group also kills anything it started),
     - has stdin from /dev/null, stdout and stderr on `out_fd`, no other inherited descriptor,
     - receives SIGKILL when the thread that started it dies (Linux PR_SET_PDEATHSIG), so it
       never outlives a crashed or killed liplua.
   Nothing here longjmps or calls back into Swift. */

/* Starts `path` with the NULL-terminated `argv`. Returns the pid, or -1 with *error set to the
   errno of the failing step (an exec failure such as ENOENT/EACCES included). */
int liplua_spawn(const char *path, char *const argv[], int out_fd, int *error);

/* What the reaped child used: user + system CPU seconds and peak resident memory (bytes). */
typedef struct { double cpu_seconds; double peak_bytes; } liplua_child_usage;

/* Non-blocking check. Returns 0 while the child runs; 1 when it exited (*code = exit status);
   2 when a signal ended it (*code = signal number); -1 on error (*code = errno). When the
   child has ended, every process left in its group is killed and the child is reaped
   (`usage` filled, may be NULL). */
int liplua_spawn_poll(int pid, int *code, liplua_child_usage *usage);

/* Kills the child's whole process group with SIGKILL and reaps the child (blocking until it
   is gone). Returns like liplua_spawn_poll. */
int liplua_spawn_kill(int pid, int *code, liplua_child_usage *usage);

/* Closes every descriptor >= first (close_range, or a loop where it is missing). Only system
   calls: safe in a child between fork/vfork and exec. */
void liplua_close_descriptors_from(int first);

/* 1 when a process with this pid exists (a zombie counts), else 0. */
int liplua_process_exists(int pid);
#endif
