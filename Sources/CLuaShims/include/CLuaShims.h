#ifndef LIPLUA_CLUASHIMS_H
#define LIPLUA_CLUASHIMS_H
/* The error bridge between Swift and Lua.

   A Swift function exported to Lua has the type liplua_SwiftFn. It never calls lua_error
   (a longjmp would skip Swift's cleanups and corrupt its exclusivity records). Instead it
   leaves an error object on top of the stack and returns -1; the C trampoline below, whose
   frame is the only one between Lua and the returned Swift function, raises it. */
struct lua_State;
typedef int (*liplua_SwiftFn)(struct lua_State *L);

/* Pushes a Lua C closure that calls fn through the trampoline. The nup values on top of the
   stack become upvalues 2..nup+1 (upvalue 1 holds fn). */
void liplua_pushclosure(struct lua_State *L, liplua_SwiftFn fn, int nup);

/* Index of the closure's user upvalue i (1-based), skipping the trampoline's own slot. */
int liplua_upvalueindex(int i);

/* Message handler for lua_pcall: turns the error into "message\nstack traceback:...". Leaves
   non-string error objects with a __tostring alone after converting them. */
int liplua_traceback(struct lua_State *L);

/* Protected helpers: run an operation that may raise (metamethods) under lua_pcall and
   report failure as a status instead of a longjmp. */
int liplua_pcall_tostring(struct lua_State *L, int idx);   /* pushes string or error; returns status */

/* Between begin and end, SIGINT (Ctrl-C) sets the interrupt flag and the running Lua code
   stops with the error "interrupted!" (as lua.c does); L is watched (see shims.c), so an
   interrupt requested from any thread stops it too. A second Ctrl-C terminates the process. */
void liplua_interruptible_begin(struct lua_State *L);
void liplua_interruptible_end(void);
/* Stop checks for Lua code run from Swift (callbacks). */
#define LIPLUA_STOP_INTERRUPTED 1
#define LIPLUA_STOP_TIME_LIMIT  2
/* 0, or why Lua code must stop now: the interrupt flag is set (LIPLUA_STOP_INTERRUPTED) or this
   thread's deadline has passed (LIPLUA_STOP_TIME_LIMIT). */
int liplua_stop_reason(void);
/* The hook a state had before liplua_stop_hook_install. */
typedef struct liplua_saved_hook { void *hook; int mask; int count; int slot; } liplua_saved_hook;
/* Watches L for interrupts and, under a deadline, puts the stop hook on it (unless it is
   already there), saving the previous hook; restore ends both. */
void liplua_stop_hook_install(struct lua_State *L, liplua_saved_hook *saved);
void liplua_stop_hook_restore(struct lua_State *L, const liplua_saved_hook *saved);
/* This thread's deadline becomes min(current, now + seconds) (NaN, +inf or >= 1e9 s: unchanged;
   negative: now). Returns the previous deadline for liplua_deadline_pop. */
unsigned long long liplua_deadline_push(double seconds);
void liplua_deadline_pop(unsigned long long previous);

/* Replaces coroutine.resume and coroutine.wrap by versions that watch the coroutine while it
   runs (an interrupt stops a loop inside a coroutine). Called once after luaL_openlibs. */
void liplua_install_coroutine_watch(struct lua_State *L);

/* Unblocks every signal and restores SIGINT/SIGTERM to their defaults (called at start-up). */
void liplua_reset_signals(void);
#endif
