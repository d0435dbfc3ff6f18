/*
** sqlutil.c: running SQL from the extension's functions.
**
** An Lx is one unit of work on a connection with a sticky error: the first
** failure is recorded (as a "lineage: ..." message) and every later call
** becomes a no-op, so the writers read as straight-line code. Every value
** goes into a statement through a bind, never into the SQL text. lx_begin
** and lx_end wrap a writer in a transaction of its own (in autocommit mode)
** or a savepoint (inside the user's transaction) so that it does all of its
** work or none of it, and leaves no transaction open when it fails.
*/
#include "lineage.h"
#include <string.h>

void lx_init(Lx *x, sqlite3 *db, LineageConn *conn){
  memset(x, 0, sizeof(*x));
  x->db = db;
  x->conn = conn;
}

const char *lx_arg_text(sqlite3_value *p){
  return sqlite3_value_type(p)==SQLITE_NULL ? 0 : (const char*)sqlite3_value_text(p);
}

/* 1 when z[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
** surrogates, nothing above U+10FFFF). */
static int utf8_valid(const unsigned char *z, int n){
  int i = 0;
  while( i<n ){
    unsigned int c = z[i], cp;
    int k, len = c<0x80 ? 1 : (c&0xe0)==0xc0 ? 2 : (c&0xf0)==0xe0 ? 3
               : (c&0xf8)==0xf0 ? 4 : 0;
    if( len==0 || i+len>n ) return 0;
    cp = len==1 ? c : c & (0x3f >> (len-1));
    for(k=1; k<len; k++){
      if( (z[i+k]&0xc0)!=0x80 ) return 0;
      cp = (cp<<6) | (z[i+k]&0x3f);
    }
    if( (len==2 && cp<0x80) || (len==3 && cp<0x800) || (len==4 && cp<0x10000)
     || cp>0x10ffff || (cp>=0xd800 && cp<=0xdfff) ) return 0;
    i += len;
  }
  return 1;
}

void lx_check_text(Lx *x, sqlite3_value *p, const char *zWhat){
  int t = sqlite3_value_type(p);
  const char *z;
  int n;
  if( x->rc || (t!=SQLITE_TEXT && t!=SQLITE_BLOB) ) return;
  z = (const char*)sqlite3_value_text(p);
  n = sqlite3_value_bytes(p);
  if( z==0 ){
    if( n>0 || sqlite3_errcode(x->db)==SQLITE_NOMEM ) x->rc = SQLITE_NOMEM;
    return;
  }
  if( (int)strlen(z)!=n ){
    lx_fail(x, "%s holds a NUL character after '%.40s'", zWhat, z);
  }else if( !utf8_valid((const unsigned char*)z, n) ){
    lx_fail(x, "%s is not valid UTF-8", zWhat);
  }
}

void lx_check_args(Lx *x, const char *zFunc, int argc, sqlite3_value **argv){
  int i;
  for(i=0; x->rc==SQLITE_OK && i<argc; i++){
    char zWhat[64];
    sqlite3_snprintf(sizeof(zWhat), zWhat, "argument %d of %s", i+1, zFunc);
    lx_check_text(x, argv[i], zWhat);
  }
}

void lx_init_fn(Lx *x, sqlite3_context *ctx){
  lx_init(x, sqlite3_context_db_handle(ctx), (LineageConn*)sqlite3_user_data(ctx));
}

void lx_finalize(Lx *x, sqlite3_stmt *pStmt){
  if( x->conn ) lineage_conn_stmt_done(x->conn, pStmt);
  else sqlite3_finalize(pStmt);
}

void lx_clear(Lx *x){
  sqlite3_free(x->zErr);
  x->zErr = 0;
}

/* A value quoted in a message shows at most this many characters, then
** "...": a 1 MB name must not give a 1 MB message, and 64 characters name
** any value a person would type. */
#define LINEAGE_MSG_VALUE_CHARS 64

/* Append z as a message shows a quoted value: 'z', cut to
** LINEAGE_MSG_VALUE_CHARS characters (UTF-8) with "...", or NULL. */
static void msg_quote(sqlite3_str *s, const char *z){
  int i = 0, nChar = 0;
  if( z==0 ){ sqlite3_str_appendall(s, "NULL"); return; }
  while( z[i] && nChar<LINEAGE_MSG_VALUE_CHARS ){
    i++;
    while( (z[i] & 0xc0)==0x80 ) i++;   /* the rest of one character */
    nChar++;
  }
  sqlite3_str_appendchar(s, 1, '\'');
  sqlite3_str_append(s, z, i);
  if( z[i] ) sqlite3_str_appendall(s, "...");
  sqlite3_str_appendchar(s, 1, '\'');
}

char *lineage_vmprintf(const char *zFmt, va_list ap){
  sqlite3_str *s = sqlite3_str_new(0);
  const char *p = zFmt;
  while( *p ){
    const char *q;
    int nLong = 0;
    char zSpec[24];
    if( p[0]=='\'' && p[1]=='%' && p[2]=='s' && p[3]=='\'' ){
      msg_quote(s, va_arg(ap, const char*));
      p += 4;
      continue;
    }
    if( p[0]!='%' ){
      for(q=p+1; *q && *q!='%' && *q!='\''; q++){}
      sqlite3_str_append(s, p, (int)(q-p));
      p = q;
      continue;
    }
    /* One conversion: flags, width, precision, length, then its letter;
    ** it takes its argument here and SQLite's printf formats it. */
    for(q=p+1; *q && strchr("-+ #0!,", *q); q++){}
    while( *q>='0' && *q<='9' ) q++;
    if( *q=='.' ) for(q++; *q>='0' && *q<='9'; q++){}
    while( *q=='l' ){ nLong++; q++; }
    if( *q==0 || q-p+2>(int)sizeof(zSpec) ) break;  /* not one of ours */
    memcpy(zSpec, p, (size_t)(q-p+1));
    zSpec[q-p+1] = 0;
    switch( *q ){
      case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c':
        if( nLong>=2 ) sqlite3_str_appendf(s, zSpec, va_arg(ap, sqlite3_int64));
        else if( nLong==1 ) sqlite3_str_appendf(s, zSpec, va_arg(ap, long));
        else sqlite3_str_appendf(s, zSpec, va_arg(ap, int));
        break;
      case 'f': case 'g': case 'e':
        sqlite3_str_appendf(s, zSpec, va_arg(ap, double));
        break;
      case '%':
        sqlite3_str_appendchar(s, 1, '%');
        break;
      default:   /* s q Q w z: a string (%z frees it) */
        sqlite3_str_appendf(s, zSpec, va_arg(ap, char*));
        break;
    }
    p = q+1;
  }
  return sqlite3_str_finish(s);
}

char *lineage_mprintf(const char *zFmt, ...){
  va_list ap;
  char *z;
  va_start(ap, zFmt);
  z = lineage_vmprintf(zFmt, ap);
  va_end(ap);
  return z;
}

/* Record a failure; the message gets the "lineage: " prefix. */
void lx_fail(Lx *x, const char *zFmt, ...){
  va_list ap;
  char *z;
  if( x->rc ) return;
  va_start(ap, zFmt);
  z = lineage_vmprintf(zFmt, ap);
  va_end(ap);
  x->rc = SQLITE_ERROR;
  x->zErr = z ? sqlite3_mprintf("lineage: %s", z) : 0;
  sqlite3_free(z);
  if( z==0 || x->zErr==0 ) x->rc = SQLITE_NOMEM;
}

/* Record an error that SQLite reported, keeping SQLite's own message. */
void lx_fail_db(Lx *x, int rc){
  if( x->rc ) return;
  if( rc==SQLITE_NOMEM ){ x->rc = SQLITE_NOMEM; return; }
  lx_fail(x, "%s", sqlite3_errmsg(x->db));
  if( x->rc==SQLITE_ERROR ) x->rc = rc;
}

static sqlite3_stmt *lx_vprepare(Lx *x, const char *zSql, const char *zTypes,
                                 va_list ap){
  sqlite3_stmt *pStmt = 0;
  int rc, i;
  if( x->rc ) return 0;
  if( x->conn ){
    pStmt = lineage_conn_stmt(x->conn, zSql, &rc);
  }else{
    rc = sqlite3_prepare_v2(x->db, zSql, -1, &pStmt, 0);
  }
  if( rc!=SQLITE_OK ){
    lx_fail_db(x, rc);
    sqlite3_finalize(pStmt);
    return 0;
  }
  for(i=0; rc==SQLITE_OK && zTypes && zTypes[i]; i++){
    switch( zTypes[i] ){
      case 't': {
        /* Not copied: the caller's text outlives the statement's use (it
        ** is given back with lx_finalize, which resets and unbinds it). */
        const char *z = va_arg(ap, const char*);
        rc = z ? sqlite3_bind_text(pStmt, i+1, z, -1, SQLITE_STATIC)
               : sqlite3_bind_null(pStmt, i+1);
        break;
      }
      case 'i':
        rc = sqlite3_bind_int64(pStmt, i+1, va_arg(ap, sqlite3_int64));
        break;
      case 'd':
        rc = sqlite3_bind_double(pStmt, i+1, va_arg(ap, double));
        break;
      default: /* 'v' */
        rc = sqlite3_bind_value(pStmt, i+1, va_arg(ap, sqlite3_value*));
        break;
    }
  }
  if( rc!=SQLITE_OK ){
    lx_fail_db(x, rc);
    lx_finalize(x, pStmt);
    return 0;
  }
  return pStmt;
}

sqlite3_stmt *lx_prepare(Lx *x, const char *zSql, const char *zTypes, ...){
  va_list ap;
  sqlite3_stmt *pStmt;
  va_start(ap, zTypes);
  pStmt = lx_vprepare(x, zSql, zTypes, ap);
  va_end(ap);
  return pStmt;
}

int lx_step(Lx *x, sqlite3_stmt *pStmt){
  int rc;
  if( x->rc || pStmt==0 ) return x->rc ? x->rc : SQLITE_ERROR;
  rc = sqlite3_step(pStmt);
  if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ) lx_fail_db(x, rc);
  return rc;
}

void lx_exec(Lx *x, const char *zSql, const char *zTypes, ...){
  va_list ap;
  sqlite3_stmt *pStmt;
  va_start(ap, zTypes);
  pStmt = lx_vprepare(x, zSql, zTypes, ap);
  va_end(ap);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){}
  lx_finalize(x, pStmt);
}

sqlite3_int64 lx_int(Lx *x, sqlite3_int64 iDefault, const char *zSql,
                     const char *zTypes, ...){
  va_list ap;
  sqlite3_stmt *pStmt;
  sqlite3_int64 v = iDefault;
  va_start(ap, zTypes);
  pStmt = lx_vprepare(x, zSql, zTypes, ap);
  va_end(ap);
  if( pStmt && lx_step(x, pStmt)==SQLITE_ROW
   && sqlite3_column_type(pStmt, 0)!=SQLITE_NULL ){
    v = sqlite3_column_int64(pStmt, 0);
  }
  lx_finalize(x, pStmt);
  return v;
}

/* sqlite3_column_text() returns NULL when it runs out of memory (adding a
** terminator or converting a number): that is an error, not an SQL NULL.
** The type is only asked when there is no text (a failed conversion leaves
** it as it was), which saves a call for every value that has some. */
const char *lx_column_text(Lx *x, sqlite3_stmt *pStmt, int iCol){
  const char *z = (const char*)sqlite3_column_text(pStmt, iCol);
  if( z==0 && sqlite3_column_type(pStmt, iCol)!=SQLITE_NULL
   && x->rc==SQLITE_OK ){
    x->rc = SQLITE_NOMEM;
  }
  return z;
}

char *lx_column_dup(Lx *x, sqlite3_stmt *pStmt, int iCol){
  const char *z = lx_column_text(x, pStmt, iCol);
  return z ? lx_strdup(x, z) : 0;
}

/* A copy with malloc and memcpy: sqlite3_mprintf("%s") costs several
** times as much, and the writers copy a few names per call. */
char *lx_strdup(Lx *x, const char *z){
  size_t n = strlen(z) + 1;
  char *zCopy = sqlite3_malloc64(n);
  if( zCopy ){
    memcpy(zCopy, z, n);
  }else if( x->rc==SQLITE_OK ){
    x->rc = SQLITE_NOMEM;
  }
  return zCopy;
}

char *lx_text(Lx *x, const char *zSql, const char *zTypes, ...){
  va_list ap;
  sqlite3_stmt *pStmt;
  char *z = 0;
  va_start(ap, zTypes);
  pStmt = lx_vprepare(x, zSql, zTypes, ap);
  va_end(ap);
  if( pStmt && lx_step(x, pStmt)==SQLITE_ROW ) z = lx_column_dup(x, pStmt, 0);
  lx_finalize(x, pStmt);
  return z;
}

/* json_type() reports malformed JSON as an error, which the probe keeps
** from x, and running out of memory as SQLITE_NOMEM, which it passes on
** (and so a lock conflict: re-preparing the statement reads the schema).
** (json_valid() answers 0 when it runs out of memory, so an allocation
** failure would read as bad input.) */
char *lx_json_type(Lx *x, sqlite3_value *pJson){
  Lx probe;
  char *z;
  if( x->rc ) return 0;
  lx_init(&probe, x->db, x->conn);
  z = lx_text(&probe, "SELECT json_type(?1)", "v", pJson);
  lx_keep_failure(x, &probe);
  return z;
}

void lx_keep_failure(Lx *x, Lx *pProbe){
  if( pProbe->rc==SQLITE_NOMEM && x->rc==SQLITE_OK ){
    x->rc = SQLITE_NOMEM;
  }else if( pProbe->rc && pProbe->rc!=SQLITE_ERROR && x->rc==SQLITE_OK ){
    x->rc = pProbe->rc;
    x->zErr = pProbe->zErr;
    pProbe->zErr = 0;
  }
  lx_clear(pProbe);
}

/* 1 when a statement that writes is running on db. */
static int writing_statement(sqlite3 *db){
  sqlite3_stmt *p = 0;
  while( (p = sqlite3_next_stmt(db, p))!=0 ){
    if( sqlite3_stmt_busy(p) && !sqlite3_stmt_readonly(p) ) return 1;
  }
  return 0;
}

/* A writer's work is one transaction of its own when the connection is in
** autocommit mode: BEGIN IMMEDIATE takes the write lock up front, where
** SQLite calls the busy handler (a deferred transaction that reads first
** and then writes is refused at once, without waiting: the busy handler is
** not called for a SHARED->RESERVED upgrade, and in WAL mode a stale
** snapshot cannot be upgraded at all), and COMMIT ends it. Inside the
** user's transaction it is a SAVEPOINT, released into that transaction.
**
** A failure, including a COMMIT refused with SQLITE_BUSY (SQLite keeps the
** transaction open then, for a retry), is undone completely: ROLLBACK, or
** ROLLBACK TO and RELEASE. So no call leaves a transaction or a lock behind.
**
** The statements that end the work are prepared before it starts: once an
** allocation has failed inside a SQL function, SQLite parses nothing more
** until the calling statement ends, and lx_end must still roll back. */
void lx_begin(Lx *x, const char *zFunc){
  sqlite3_stmt *pOpen;
  int rc;
  lineage_replicated_check(x, zFunc);
  if( x->rc ) return;
  /* Inside a statement that writes SQLite opens no savepoint (and could not
  ** commit): the SAVEPOINT path reports it below. */
  x->bOwnTxn = sqlite3_get_autocommit(x->db) && !writing_statement(x->db);
  if( x->bOwnTxn ){
    x->pRollback = lx_prepare(x, "ROLLBACK", 0);
    x->pRelease = lx_prepare(x, "COMMIT", 0);
    pOpen = lx_prepare(x, "BEGIN IMMEDIATE", 0);
  }else{
    x->pRollback = lx_prepare(x, "ROLLBACK TO lineage_write", 0);
    x->pRelease = lx_prepare(x, "RELEASE lineage_write", 0);
    pOpen = lx_prepare(x, "SAVEPOINT lineage_write", 0);
  }
  if( x->rc ){
    lx_finalize(x, pOpen);
    return;
  }
  rc = sqlite3_step(pOpen);
  if( rc==SQLITE_DONE ) rc = SQLITE_OK;
  if( rc==SQLITE_OK ){
    x->inSavepoint = 1;
  }else if( rc==SQLITE_NOMEM ){
    x->rc = rc;
  }else if( !x->bOwnTxn && writing_statement(x->db) ){
    lx_fail(x, "%s cannot run inside an INSERT, UPDATE or DELETE (%s): "
               "call it from a SELECT", zFunc, sqlite3_errmsg(x->db));
  }else{
    /* SQLITE_BUSY stays SQLITE_BUSY, so that a caller's retry loop sees it. */
    lx_fail_db(x, rc);
  }
  lx_finalize(x, pOpen);
}

int lx_end(Lx *x, sqlite3_context *ctx){
  int rc;
  if( x->inSavepoint ){
    if( x->rc==SQLITE_OK ){
      lx_step(x, x->pRelease);
      sqlite3_reset(x->pRelease);
    }
    if( x->rc ){
      /* Undo everything, keeping the first error's message. */
      sqlite3_step(x->pRollback);
      sqlite3_reset(x->pRollback);
      if( !x->bOwnTxn ){
        sqlite3_step(x->pRelease);
        sqlite3_reset(x->pRelease);
      }
    }
    x->inSavepoint = 0;
  }
  lx_finalize(x, x->pRollback);
  lx_finalize(x, x->pRelease);
  x->pRollback = x->pRelease = 0;
  rc = x->rc;
  if( rc && ctx ){
    if( rc==SQLITE_NOMEM ){
      sqlite3_result_error_nomem(ctx);
    }else{
      sqlite3_result_error(ctx, x->zErr ? x->zErr : "lineage: error", -1);
      sqlite3_result_error_code(ctx, rc);
    }
  }
  lx_clear(x);
  return rc;
}

/* Write v as n digits, zero-padded, at z; returns the end. */
static char *put_digits(char *z, sqlite3_int64 v, int n){
  int i;
  for(i=n-1; i>=0; i--){ z[i] = (char)('0' + v%10); v /= 10; }
  return z + n;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (sqlite3_malloc'd) for a date and the
** milliseconds into its day; by hand, as sqlite3_mprintf costs ten times
** as much and every writer call stamps a time. */
static char *iso_format(sqlite3_int64 y, sqlite3_int64 m, sqlite3_int64 d,
                        sqlite3_int64 ms){
  char *z, *p;
  if( y<0 || y>9999 ){
    return sqlite3_mprintf("%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                           y, m, d, ms/3600000, ms/60000%60, ms/1000%60,
                           ms%1000);
  }
  z = p = sqlite3_malloc(25);
  if( z==0 ) return 0;
  p = put_digits(p, y, 4); *p++ = '-';
  p = put_digits(p, m, 2); *p++ = '-';
  p = put_digits(p, d, 2); *p++ = 'T';
  p = put_digits(p, ms/3600000, 2); *p++ = ':';
  p = put_digits(p, ms/60000%60, 2); *p++ = ':';
  p = put_digits(p, ms/1000%60, 2); *p++ = '.';
  p = put_digits(p, ms%1000, 3); *p++ = 'Z';
  *p = 0;
  return z;
}

/* The current time from the VFS, as strftime('%Y-%m-%dT%H:%M:%fZ','now')
** gives it, without a statement; NULL if the VFS cannot say. */
static char *now_iso(sqlite3 *db){
  sqlite3_vfs *pVfs = 0;
  sqlite3_int64 ms, days, rem, y, m, d, era, doe, yoe, doy, mp;
  if( sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs)
      !=SQLITE_OK || pVfs==0 ) pVfs = sqlite3_vfs_find(0);
  if( pVfs==0 || pVfs->iVersion<2 || pVfs->xCurrentTimeInt64==0
   || pVfs->xCurrentTimeInt64(pVfs, &ms)!=SQLITE_OK ) return 0;
  ms -= (sqlite3_int64)210866760000000;       /* Julian day ms -> Unix ms */
  days = ms>=0 ? ms/86400000 : -((-ms+86399999)/86400000);
  rem = ms - days*86400000;
  /* Civil date from days since 1970-01-01 (proleptic Gregorian). */
  days += 719468;
  era = (days>=0 ? days : days-146096)/146097;
  doe = days - era*146097;
  yoe = (doe - doe/1460 + doe/36524 - doe/146096)/365;
  doy = doe - (365*yoe + yoe/4 - yoe/100);
  mp = (5*doy + 2)/153;
  d = doy - (153*mp + 2)/5 + 1;
  m = mp<10 ? mp+3 : mp-9;
  y = yoe + era*400 + (m<=2);
  return iso_format(y, m, d, rem);
}

char *lx_time(Lx *x, const char *zIn, const char *zWhat){
  char *z;
  if( x->rc ) return 0;
  if( zIn==0 ){
    z = now_iso(x->db);
    if( z ) return z;
    return lx_text(x, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", 0);
  }
  /* A date first (strftime alone would also take a bare Julian day), and
  ** a real one: strftime would turn '2026-02-30' into March 2nd. */
  z = lx_text(x, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1) "
                 "WHERE ?1 GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
                 "AND date(julianday(substr(?1, 1, 10))) IS substr(?1, 1, 10)",
              "t", zIn);
  if( z==0 && x->rc==SQLITE_OK ){
    lx_fail(x, "%s '%s' is not an ISO-8601 time "
               "(e.g. '2026-11-27T07:26:34.123Z')", zWhat, zIn);
  }
  return z;
}
