#include <lua.h>
#include <lauxlib.h>
#include "CLuaShims.h"
#include "CLipSignals.h"

static int trampoline(lua_State *L) {
    liplua_SwiftFn fn = (liplua_SwiftFn)lua_touserdata(L, lua_upvalueindex(1));
    int r = fn(L);               /* every Swift frame has returned here */
    if (r < 0) return lua_error(L);
    return r;
}

void liplua_pushclosure(lua_State *L, liplua_SwiftFn fn, int nup) {
    lua_pushlightuserdata(L, (void *)fn);
    lua_rotate(L, -(nup + 1), 1);
    lua_pushcclosure(L, trampoline, nup + 1);
}

int liplua_upvalueindex(int i) { return lua_upvalueindex(i + 1); }

int liplua_traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;  /* the object's own description; no traceback */
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int tostring_k(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

int liplua_pcall_tostring(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, tostring_k);
    lua_pushvalue(L, idx);
    return lua_pcall(L, 1, 1, 0);
}

/* Stop checks in Lua code (Ctrl-C and deadlines).

   The stop hook is a count hook: every LIPLUA_STOP_COUNT Lua instructions it looks at the
   process-wide interrupt flag (CLipSignals) and at this thread's deadline, and raises
   "interrupted!" or "time limit reached" inside Lua, never across a Swift frame (a Swift
   function that calls back into Lua does so under its own lua_pcall). It keeps raising while
   the stop is due, so a `pcall` in user code cannot swallow it for good. Count events happen
   only while Lua instructions run, so the hook never fires inside a C message handler. */
#include <signal.h>
#include <stdint.h>
#include <time.h>
#define LIPLUA_STOP_COUNT 1000
static lua_State *volatile interrupt_state = NULL;
static _Thread_local unsigned long long watch_deadline_ns = 0;   /* CLOCK_MONOTONIC; 0 = none */

static unsigned long long mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int liplua_stop_reason(void) {
    if (liplua_interrupt_pending()) return LIPLUA_STOP_INTERRUPTED;
    if (watch_deadline_ns != 0 && mono_ns() >= watch_deadline_ns) return LIPLUA_STOP_TIME_LIMIT;
    return 0;
}

static void stop_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    int why = liplua_stop_reason();
    /* While a stop is due the hook fires at every Lua instruction, so code that caught the
       error (pcall in a loop) stops at its next instruction; count events only, so C
       functions such as the message handler are not hooked while the error unwinds. When
       nothing is due (the flag was cleared), back to every LIPLUA_STOP_COUNT instructions. */
    int count = why ? 1 : LIPLUA_STOP_COUNT;
    if (lua_gethookcount(L) != count || lua_gethookmask(L) != LUA_MASKCOUNT)
        lua_sethook(L, stop_hook, LUA_MASKCOUNT, count);
    if (why == LIPLUA_STOP_INTERRUPTED) luaL_error(L, "interrupted!");
    if (why == LIPLUA_STOP_TIME_LIMIT) luaL_error(L, "time limit reached");
}

void liplua_stop_hook_install(lua_State *L, liplua_saved_hook *saved) {
    saved->hook = (void *)lua_gethook(L);
    saved->mask = lua_gethookmask(L);
    saved->count = lua_gethookcount(L);
    if (saved->hook != (void *)stop_hook) lua_sethook(L, stop_hook, LUA_MASKCOUNT, LIPLUA_STOP_COUNT);
}

void liplua_stop_hook_restore(lua_State *L, const liplua_saved_hook *saved) {
    if (saved->hook == (void *)stop_hook) return;      /* it was on before: leave it */
    lua_sethook(L, (lua_Hook)saved->hook, saved->mask, saved->count);
}

unsigned long long liplua_deadline_push(double seconds) {
    unsigned long long previous = watch_deadline_ns;
    if (!(seconds == seconds) || seconds >= 1e9) return previous;   /* NaN, +inf, > 30 years: none */
    if (seconds < 0) seconds = 0;
    unsigned long long end = mono_ns() + (unsigned long long)(seconds * 1e9);
    if (watch_deadline_ns == 0 || end < watch_deadline_ns) watch_deadline_ns = end;
    return previous;
}

void liplua_deadline_pop(unsigned long long previous) { watch_deadline_ns = previous; }

static void interrupt_action(int sig) {
    signal(sig, SIG_DFL);   /* a second Ctrl-C kills the process */
    liplua_interrupt_set(); /* solvers, Swift loops and the stop hook poll this flag */
    if (interrupt_state)    /* stop at the very next instruction, call or line */
        lua_sethook(interrupt_state, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

void liplua_interruptible_begin(struct lua_State *L) {
    interrupt_state = L;
    lua_sethook(L, stop_hook, LUA_MASKCOUNT, LIPLUA_STOP_COUNT);
    signal(SIGINT, interrupt_action);
}

void liplua_interruptible_end(void) {
    signal(SIGINT, SIG_DFL);
    lua_State *L = interrupt_state;
    interrupt_state = NULL;
    if (L && lua_gethook(L) == stop_hook) lua_sethook(L, NULL, 0, 0);
}

void liplua_reset_signals(void) {
    /* A parent (a test runner, a job control shell) may have blocked or ignored signals;
       both survive exec. Start from the defaults so Ctrl-C and kill behave as expected. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* Past a file-size limit (ulimit -f) a write fails with EFBIG, which liplua reports and
       turns into a non-zero exit, instead of the process being killed mid-file. */
    signal(SIGXFSZ, SIG_IGN);
}
