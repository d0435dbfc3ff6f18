/*
** digest.c: artifact manifests and their W&B digests.
**
** A `files` argument is a JSON array of entries, read with SQLite's own
** json_each/json_extract:
**   {"path","digest","size"?}         already hashed
**   {"path","ref","digest"?,"size"?}  a reference; digest defaults to the URI
**   {"path","local_path"}             read from disk, hashed with MD5
** The manifest digest is the hex MD5 of "wandb-artifact-manifest-v1\n" and
** "<path>:<digest>\n" for each entry in byte order of path (W&B's
** manifest digest); sizes do not enter it.
*/
#include "lineage.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lineage_manifest_clear(LineageManifest *p){
  int i;
  for(i=0; i<p->n; i++){
    sqlite3_free(p->a[i].zPath);
    sqlite3_free(p->a[i].zDigest);
    sqlite3_free(p->a[i].zRefUri);
  }
  sqlite3_free(p->a);
  memset(p, 0, sizeof(*p));
}

/* Hash a local file: base64 MD5 into zDigest (25 bytes), its size. */
static void hash_local_file(Lx *x, const char *zFile, char *zDigest,
                            sqlite3_int64 *pSize){
  FILE *f;
  LineageMd5 md5;
  unsigned char buf[65536], out[16];
  size_t n;
  if( x->rc ) return;
  f = fopen(zFile, "rb");
  if( f==0 ){
    lx_fail(x, "cannot read local_path '%s': %s", zFile, strerror(errno));
    return;
  }
  lineage_md5_init(&md5);
  *pSize = 0;
  while( (n = fread(buf, 1, sizeof(buf), f))>0 ){
    lineage_md5_update(&md5, buf, n);
    *pSize += (sqlite3_int64)n;
  }
  if( ferror(f) ){
    lx_fail(x, "cannot read local_path '%s': %s", zFile, strerror(errno));
  }
  fclose(f);
  lineage_md5_final(&md5, out);
  lineage_base64(out, 16, zDigest);
}

static int entry_cmp(const void *a, const void *b){
  return strcmp(((const LineageEntry*)a)->zPath, ((const LineageEntry*)b)->zPath);
}

/* The columns read for each entry of the array. Each entry is first turned
** into its JSON text v (json_each gives a string element as plain SQL text,
** on which json_extract would fail with "malformed JSON"). */
#define ENTRY_SQL \
  "SELECT key, t, " \
  " json_extract(v,'$.path'), json_type(v,'$.path'), " \
  " json_extract(v,'$.digest'), json_type(v,'$.digest'), " \
  " json_extract(v,'$.size'), json_type(v,'$.size'), " \
  " json_extract(v,'$.ref'), json_type(v,'$.ref'), " \
  " json_extract(v,'$.local_path'), json_type(v,'$.local_path'), " \
  " CASE WHEN t='object' THEN " \
  "  (SELECT group_concat(k.key, ', ') FROM json_each(v) k WHERE " \
  "   k.key NOT IN ('path','digest','size','ref','local_path')) END, " \
  " v " \
  "FROM (SELECT e.key AS key, e.type AS t, " \
  "  CASE WHEN e.type IN ('object','array') THEN e.value " \
  "       WHEN e.type IN ('true','false','null') THEN e.type " \
  "       ELSE json_quote(e.value) END AS v " \
  "  FROM json_each(?1) e)"

static int is_text(sqlite3_stmt *p, int iTypeCol){
  const char *z = (const char*)sqlite3_column_text(p, iTypeCol);
  return z && strcmp(z, "text")==0;
}

/* Read one row of ENTRY_SQL into e. */
static void entry_load(Lx *x, sqlite3_stmt *p, int bAllowLocal, LineageEntry *e){
  sqlite3_int64 iKey = sqlite3_column_int64(p, 0);
  const char *zType, *zVal, *zPath, *zSizeType;
  int bDigest, bRef, bLocal, i;
  char zHash[32];
  memset(e, 0, sizeof(*e));
  e->size = -1;
  /* Have every text column as text once (this may run out of memory);
  ** reading them again below then cannot fail. */
  for(i=1; i<=13; i++){
    if( i!=6 ) lx_column_text(x, p, i);
  }
  if( x->rc ) return;
  zType = (const char*)sqlite3_column_text(p, 1);
  zVal = (const char*)sqlite3_column_text(p, 13);
  if( zType==0 || strcmp(zType, "object")!=0 ){
    lx_fail(x, "files[%lld] is %s, not an object with a path", iKey, zVal);
    return;
  }
  if( sqlite3_column_type(p, 12)!=SQLITE_NULL ){
    lx_fail(x, "files[%lld] has unknown key(s) %s: use path, digest, size, "
               "ref, local_path", iKey, sqlite3_column_text(p, 12));
    return;
  }
  if( !is_text(p, 3) || sqlite3_column_bytes(p, 2)==0 ){
    lx_fail(x, "files[%lld] needs a non-empty text \"path\": %s", iKey, zVal);
    return;
  }
  zPath = (const char*)sqlite3_column_text(p, 2);
  bDigest = sqlite3_column_type(p, 5)!=SQLITE_NULL;
  bRef = sqlite3_column_type(p, 9)!=SQLITE_NULL;
  bLocal = sqlite3_column_type(p, 11)!=SQLITE_NULL;
  zSizeType = (const char*)sqlite3_column_text(p, 7);
  if( (bDigest && (!is_text(p, 5) || sqlite3_column_bytes(p, 4)==0))
   || (bRef && (!is_text(p, 9) || sqlite3_column_bytes(p, 8)==0))
   || (bLocal && (!is_text(p, 11) || sqlite3_column_bytes(p, 10)==0)) ){
    lx_fail(x, "files[%lld] '%s': digest, ref and local_path must be "
               "non-empty text", iKey, zPath);
    return;
  }
  if( zSizeType && (strcmp(zSizeType, "integer")!=0
                    || sqlite3_column_int64(p, 6)<0) ){
    lx_fail(x, "files[%lld] '%s': size must be a non-negative integer, "
               "not %s", iKey, zPath, zVal);
    return;
  }
  if( bLocal && (bDigest || bRef || zSizeType) ){
    lx_fail(x, "files[%lld] '%s': local_path is hashed from disk and takes "
               "no digest, ref or size", iKey, zPath);
    return;
  }
  if( !bLocal && !bDigest && !bRef ){
    lx_fail(x, "files[%lld] '%s' needs a digest, a ref or a local_path",
            iKey, zPath);
    return;
  }
  if( bLocal && !bAllowLocal ){
    lx_fail(x, "files[%lld] '%s': local_path is not allowed here (only "
               "log_artifact reads files); give its digest", iKey, zPath);
    return;
  }
  if( zSizeType ) e->size = sqlite3_column_int64(p, 6);
  if( bLocal ){
    hash_local_file(x, lx_column_text(x, p, 10), zHash, &e->size);
    if( x->rc ) return;                 /* unreadable: zHash was not set */
    e->zDigest = sqlite3_mprintf("%s", zHash);
  }else{
    e->zDigest = sqlite3_mprintf("%s", sqlite3_column_text(p, bDigest ? 4 : 8));
  }
  e->zPath = sqlite3_mprintf("%s", zPath);
  if( bRef ) e->zRefUri = sqlite3_mprintf("%s", sqlite3_column_text(p, 8));
  if( x->rc==SQLITE_OK && (!e->zPath || !e->zDigest || (bRef && !e->zRefUri)) ){
    x->rc = SQLITE_NOMEM;
  }
}

/* Hex MD5 of the manifest of p's (sorted) entries. */
static void manifest_digest(LineageManifest *p){
  LineageMd5 md5;
  unsigned char out[16];
  static const char zHeader[] = "wandb-artifact-manifest-v1\n";
  int i;
  lineage_md5_init(&md5);
  lineage_md5_update(&md5, zHeader, sizeof(zHeader)-1);
  for(i=0; i<p->n; i++){
    lineage_md5_update(&md5, p->a[i].zPath, strlen(p->a[i].zPath));
    lineage_md5_update(&md5, ":", 1);
    lineage_md5_update(&md5, p->a[i].zDigest, strlen(p->a[i].zDigest));
    lineage_md5_update(&md5, "\n", 1);
  }
  lineage_md5_final(&md5, out);
  lineage_hex(out, 16, p->zDigest);
}

void lineage_manifest_load(Lx *x, sqlite3_value *pFiles, int bAllowLocal,
                           LineageManifest *p){
  sqlite3_stmt *pStmt;
  int i, nAlloc = 0;
  memset(p, 0, sizeof(*p));
  if( x->rc ) return;
  if( pFiles && sqlite3_value_type(pFiles)!=SQLITE_NULL ){
    char *zType = lx_json_type(x, pFiles);
    if( x->rc==SQLITE_OK && (zType==0 || strcmp(zType, "array")!=0) ){
      lx_fail(x, "files must be a JSON array of entries, not %s",
              sqlite3_value_text(pFiles));
    }
    sqlite3_free(zType);
    pStmt = lx_prepare(x, ENTRY_SQL, "v", pFiles);
    while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
      if( p->n==nAlloc ){
        LineageEntry *aNew;
        nAlloc = nAlloc ? 2*nAlloc : 16;
        aNew = sqlite3_realloc64(p->a, sizeof(LineageEntry)*(sqlite3_uint64)nAlloc);
        if( aNew==0 ){ x->rc = SQLITE_NOMEM; break; }
        p->a = aNew;
      }
      entry_load(x, pStmt, bAllowLocal, &p->a[p->n]);
      p->n++;
      if( x->rc ) break;
    }
    lx_finalize(x, pStmt);
  }
  if( x->rc ){ lineage_manifest_clear(p); return; }
  if( p->n>1 ) qsort(p->a, (size_t)p->n, sizeof(LineageEntry), entry_cmp);
  for(i=0; i<p->n; i++){
    if( i>0 && strcmp(p->a[i].zPath, p->a[i-1].zPath)==0 ){
      lx_fail(x, "files has the path '%s' twice", p->a[i].zPath);
      lineage_manifest_clear(p);
      return;
    }
    if( p->a[i].size>0 ) p->size += p->a[i].size;
  }
  manifest_digest(p);
}

/* artifact_digest(files): the digest log_artifact would give, pure. */
void lineage_fn_artifact_digest(sqlite3_context *ctx, int argc,
                                sqlite3_value **argv){
  Lx x;
  LineageManifest m;
  (void)argc;
  lx_init_fn(&x, ctx);
  lineage_manifest_load(&x, argv[0], 0, &m);
  if( lx_end(&x, ctx)==SQLITE_OK ){
    sqlite3_result_text(ctx, m.zDigest, -1, SQLITE_TRANSIENT);
  }
  lineage_manifest_clear(&m);
}
