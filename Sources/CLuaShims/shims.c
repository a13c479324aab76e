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

/* Ctrl-C as lua.c handles it: the signal handler only installs a hook; the hook raises
   "interrupted!" at the next Lua instruction, inside Lua (never across a Swift frame:
   a Swift function that calls back into Lua does so under its own lua_pcall). */
#include <signal.h>
static lua_State *volatile interrupt_state = NULL;

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted!");
}

static void interrupt_action(int sig) {
    signal(sig, SIG_DFL);   /* a second Ctrl-C kills the process */
    liplua_interrupt_set(); /* solvers and Swift loops poll this flag */
    if (interrupt_state)
        lua_sethook(interrupt_state, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

void liplua_interruptible_begin(struct lua_State *L) {
    interrupt_state = L;
    signal(SIGINT, interrupt_action);
}

void liplua_interruptible_end(void) {
    signal(SIGINT, SIG_DFL);
    interrupt_state = NULL;
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
