/* Lua 5.4 as Swift sees it. Swift imports only constant macros, so every function-like
   macro liplua uses is re-declared here as a static inline function with the same name.
   Functions that raise Lua errors (luaL_check*, luaL_error) are deliberately absent: Swift
   code must never longjmp; it throws, and the CLuaShims trampoline raises the error. */
#ifndef LIPLUA_CLUA_SHIM_H
#define LIPLUA_CLUA_SHIM_H
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>

static const int CLUA_REGISTRYINDEX = LUA_REGISTRYINDEX;
static const int CLUA_VERSION_RELEASE_NUM = LUA_VERSION_RELEASE_NUM;
static inline int clua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void *clua_getextraspace(lua_State *L) { return lua_getextraspace(L); }

#undef lua_call
static inline void lua_call(lua_State *L, int n, int r) { lua_callk(L, n, r, 0, NULL); }
#undef lua_pcall
static inline int lua_pcall(lua_State *L, int n, int r, int f) { return lua_pcallk(L, n, r, f, 0, NULL); }
#undef lua_tonumber
static inline lua_Number lua_tonumber(lua_State *L, int i) { return lua_tonumberx(L, i, NULL); }
#undef lua_tointeger
static inline lua_Integer lua_tointeger(lua_State *L, int i) { return lua_tointegerx(L, i, NULL); }
#undef lua_tostring
static inline const char *lua_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
#undef lua_pop
static inline void lua_pop(lua_State *L, int n) { lua_settop(L, -(n)-1); }
#undef lua_newtable
static inline void lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
#undef lua_pushcfunction
static inline void lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
#undef lua_isnil
static inline int lua_isnil(lua_State *L, int n) { return lua_type(L, n) == LUA_TNIL; }
#undef lua_isnoneornil
static inline int lua_isnoneornil(lua_State *L, int n) { return lua_type(L, n) <= 0; }
#undef lua_istable
static inline int lua_istable(lua_State *L, int n) { return lua_type(L, n) == LUA_TTABLE; }
#undef lua_isfunction
static inline int lua_isfunction(lua_State *L, int n) { return lua_type(L, n) == LUA_TFUNCTION; }
#undef lua_isboolean
static inline int lua_isboolean(lua_State *L, int n) { return lua_type(L, n) == LUA_TBOOLEAN; }
#undef lua_pushglobaltable
static inline void lua_pushglobaltable(lua_State *L) { (void)lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS); }
#undef lua_insert
static inline void lua_insert(lua_State *L, int idx) { lua_rotate(L, idx, 1); }
#undef lua_remove
static inline void lua_remove(lua_State *L, int idx) { lua_rotate(L, idx, -1); lua_settop(L, -2); }
#undef lua_replace
static inline void lua_replace(lua_State *L, int idx) { lua_copy(L, -1, idx); lua_settop(L, -2); }
#undef lua_newuserdata
static inline void *lua_newuserdata(lua_State *L, size_t s) { return lua_newuserdatauv(L, s, 1); }
#undef luaL_loadbuffer
static inline int luaL_loadbuffer(lua_State *L, const char *s, size_t sz, const char *n) { return luaL_loadbufferx(L, s, sz, n, NULL); }
#undef luaL_loadfile
static inline int luaL_loadfile(lua_State *L, const char *f) { return luaL_loadfilex(L, f, NULL); }
#undef luaL_getmetatable
static inline int luaL_getmetatable(lua_State *L, const char *n) { return lua_getfield(L, LUA_REGISTRYINDEX, n); }
#undef luaL_typename
static inline const char *luaL_typename(lua_State *L, int i) { return lua_typename(L, lua_type(L, i)); }
#endif
