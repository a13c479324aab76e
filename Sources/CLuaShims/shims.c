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

   The stop hook looks at the process-wide interrupt flag (CLipSignals) and at this thread's
   deadline, and raises "interrupted!" or "time limit reached" inside Lua, never across a Swift
   frame (a Swift function that calls back into Lua does so under its own lua_pcall). It keeps
   raising while the stop is due, so a `pcall` in user code cannot swallow it for good.

   Lua 5.4 runs every instruction through its slow path while any hook is set (about 3x
   slower), so the hook is installed only when something can be due:
   - Interrupts: every lua_State that runs Lua for liplua is "watched" while it does (a script
     under liplua_interruptible_begin, a callback called from Swift, a coroutine resumed by
     coroutine.resume/wrap). Setting the interrupt flag, from the SIGINT handler or from any
     thread (Interrupt.request), arms the hook on every watched state, as lua.c does for its
     one state; a state that starts running while the flag is set arms itself.
   - Deadlines: callbacks called while this thread has a deadline run with a count hook
     (every LIPLUA_STOP_COUNT instructions).
   With nothing due and no deadline the hook removes itself. */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#define LIPLUA_STOP_COUNT 1000
#define LIPLUA_WATCH_SLOTS 256
static _Thread_local unsigned long long watch_deadline_ns = 0;   /* CLOCK_MONOTONIC; 0 = none */
static lua_State *_Atomic watched[LIPLUA_WATCH_SLOTS];
static atomic_int arming = 0;
static atomic_int unwatched = 0;   /* states running with the always-on count hook instead */
#define LIPLUA_NOT_WATCHED (-2)         /* a slot value for "nothing to end" */

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
    /* nothing due, no deadline, no state relying on this hook to poll: full speed again */
    if (!why && watch_deadline_ns == 0 && atomic_load(&unwatched) == 0) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    /* While a stop is due the hook fires at every Lua instruction, so code that caught the
       error (pcall in a loop) stops at its next instruction; count events only, so C
       functions such as the message handler are not hooked while the error unwinds. */
    int count = why ? 1 : LIPLUA_STOP_COUNT;
    if (lua_gethookcount(L) != count || lua_gethookmask(L) != LUA_MASKCOUNT)
        lua_sethook(L, stop_hook, LUA_MASKCOUNT, count);
    if (why == LIPLUA_STOP_INTERRUPTED) luaL_error(L, "interrupted!");
    if (why == LIPLUA_STOP_TIME_LIMIT) luaL_error(L, "time limit reached");
}

/* Stop at the very next instruction, call or line. Async-signal-safe (lua_sethook is). */
static void arm(lua_State *L) {
    lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

/* Called by liplua_interrupt_set (signal handler or any thread). */
static void arm_watched(void) {
    atomic_fetch_add(&arming, 1);
    for (int i = 0; i < LIPLUA_WATCH_SLOTS; i++) {
        lua_State *L = atomic_load(&watched[i]);
        if (L) arm(L);
    }
    atomic_fetch_sub(&arming, 1);
}

/* Watches L until watch_end; -1 when every slot is taken: then L gets the count hook, the
   slower but always-on way, and the hook stays on (for every state) until watch_end(-1). */
static int watch_begin(lua_State *L) {
    static atomic_int notify_set = 0;
    if (!atomic_exchange(&notify_set, 1)) liplua_interrupt_set_notify(arm_watched);
    for (int i = 0; i < LIPLUA_WATCH_SLOTS; i++) {
        lua_State *expected = NULL;
        if (atomic_compare_exchange_strong(&watched[i], &expected, L)) {
            if (liplua_interrupt_pending()) arm(L);   /* requested before it was watched */
            return i;
        }
    }
    atomic_fetch_add(&unwatched, 1);
    if (lua_gethook(L) != stop_hook) lua_sethook(L, stop_hook, LUA_MASKCOUNT, LIPLUA_STOP_COUNT);
    return -1;
}

/* After this returns no arm_watched call still uses L (the state may then be closed). */
static void watch_end(int slot) {
    if (slot == LIPLUA_NOT_WATCHED) return;
    if (slot < 0) { atomic_fetch_sub(&unwatched, 1); return; }
    atomic_store(&watched[slot], NULL);
    while (atomic_load(&arming) != 0) sched_yield();
}

void liplua_stop_hook_install(lua_State *L, liplua_saved_hook *saved) {
    saved->hook = (void *)lua_gethook(L);
    saved->mask = lua_gethookmask(L);
    saved->count = lua_gethookcount(L);
    saved->slot = watch_begin(L);
    if (saved->hook == (void *)stop_hook || lua_gethook(L) == stop_hook) return;
    if (watch_deadline_ns != 0) lua_sethook(L, stop_hook, LUA_MASKCOUNT, LIPLUA_STOP_COUNT);
}

void liplua_stop_hook_restore(lua_State *L, const liplua_saved_hook *saved) {
    watch_end(saved->slot);
    if (saved->hook == (void *)stop_hook) return;      /* it was on before: leave it */
    if (lua_gethook(L) != stop_hook) return;           /* never installed (or already off) */
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
    liplua_interrupt_set(); /* solvers and Swift loops poll the flag; watched Lua states are armed */
}

static lua_State *interruptible_state = NULL;
static int interruptible_slot = LIPLUA_NOT_WATCHED;

void liplua_interruptible_begin(struct lua_State *L) {
    interruptible_state = L;
    interruptible_slot = watch_begin(L);
    signal(SIGINT, interrupt_action);
}

void liplua_interruptible_end(void) {
    signal(SIGINT, SIG_DFL);
    watch_end(interruptible_slot);
    interruptible_slot = LIPLUA_NOT_WATCHED;
    lua_State *L = interruptible_state;
    interruptible_state = NULL;
    if (L && lua_gethook(L) == stop_hook) lua_sethook(L, NULL, 0, 0);
}

/* coroutine.resume and coroutine.wrap that watch the coroutine while it runs, so an interrupt
   stops a loop inside a coroutine too. They call the library's own functions (upvalues) under
   lua_pcall, so the watch always ends, and re-raise what those raise.

   watched_resume_call: the stack ends with resume, co (a thread, checked by the callers),
   nargs arguments; the results (or the error object) replace those slots. */
static int watched_resume_call(lua_State *L, int nargs) {
    int slot = watch_begin(lua_tothread(L, -(nargs + 1)));
    int status = lua_pcall(L, nargs + 1, LUA_MULTRET, 0);
    watch_end(slot);
    return status;
}

static int watched_resume(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 1, LUA_TTHREAD);
    lua_pushvalue(L, lua_upvalueindex(1));     /* the library's resume */
    lua_insert(L, 1);                          /* resume, co, args... */
    if (watched_resume_call(L, n - 1) != LUA_OK) return lua_error(L);
    return lua_gettop(L);
}

static int watched_wrap_call(lua_State *L) {
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));     /* the library's resume */
    lua_insert(L, 1);
    lua_pushvalue(L, lua_upvalueindex(2));     /* co */
    lua_insert(L, 2);                          /* resume, co, args... */
    if (watched_resume_call(L, n) != LUA_OK) return lua_error(L);
    if (lua_toboolean(L, 1)) return lua_gettop(L) - 1;   /* true, results... */
    /* An error in the coroutine: close it (its pending to-be-closed variables) and raise the
       error with the caller's position in front of a string message, as coroutine.wrap does. */
    lua_settop(L, 2);                          /* false, error object */
    lua_pushvalue(L, lua_upvalueindex(3));     /* coroutine.close */
    lua_pushvalue(L, lua_upvalueindex(2));
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int watched_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_pushvalue(L, lua_upvalueindex(1));     /* resume */
    lua_pushvalue(L, lua_upvalueindex(2));     /* create */
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);                         /* co */
    lua_pushvalue(L, lua_upvalueindex(3));     /* close */
    lua_pushcclosure(L, watched_wrap_call, 3);
    return 1;
}

void liplua_install_coroutine_watch(lua_State *L) {
    if (lua_getglobal(L, "coroutine") != LUA_TTABLE) { lua_pop(L, 1); return; }
    lua_getfield(L, -1, "resume");
    lua_pushcclosure(L, watched_resume, 1);
    lua_setfield(L, -2, "resume");
    lua_getfield(L, -1, "resume");             /* the new one has the original as upvalue */
    lua_getupvalue(L, -1, 1);
    lua_remove(L, -2);                         /* original resume */
    lua_getfield(L, -2, "create");
    lua_getfield(L, -3, "close");
    lua_pushcclosure(L, watched_wrap, 3);
    lua_setfield(L, -2, "wrap");
    lua_pop(L, 1);
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
