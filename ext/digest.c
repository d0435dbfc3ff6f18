/*
** digest.c: artifact manifests and their W&B digests.
**
** A `files` argument is a JSON array of entries, read with SQLite's own
** json_tree (one parse of the whole array):
**   {"path","digest","size"?}         already hashed
**   {"path","ref","digest"?,"size"?}  a reference; digest defaults to the URI
**   {"path","local_path"}             read from disk, hashed with MD5
** The manifest digest is the hex MD5 of "wandb-artifact-manifest-v1\n" and
** "<path>:<digest>\n" for each entry in byte order of path (W&B's
** manifest digest); sizes do not enter it.
*/
#include "lineage.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
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

/* A local file is read this many bytes at a time: few read calls per
** gigabyte (1 GiB hashes in about md5sum's time). */
#define LOCAL_READ_CHUNK (1 << 20)

/* Bytes hashed between two checks for sqlite3_interrupt() and the progress
** handler: 64 KiB take about 0.1 ms to hash, the check (one step of a kept
** statement) about a microsecond. */
#define LOCAL_CHECK_BYTES 65536

/* What a path that is not a regular file is, for the message. */
static const char *file_kind(mode_t m){
  if( S_ISDIR(m) ) return "a directory";
  if( S_ISFIFO(m) ) return "a FIFO";
  if( S_ISCHR(m) || S_ISBLK(m) ) return "a device";
#ifdef S_ISSOCK
  if( S_ISSOCK(m) ) return "a socket";
#endif
  return "not a regular file";
}

/* SQLITE_INTERRUPT once sqlite3_interrupt() was called or the progress
** handler asked to stop: a kept statement is stepped, which checks both
** (the VM calls the handler as the statement's instruction count grows). */
static int read_interrupted(Lx *x){
  sqlite3_stmt *pStmt = lx_prepare(x, "SELECT 1", 0);
  int rc = pStmt ? sqlite3_step(pStmt) : x->rc;
  lx_finalize(x, pStmt);
  return rc==SQLITE_INTERRUPT ? SQLITE_INTERRUPT : SQLITE_OK;
}

/* Hash a local file: base64 MD5 into zDigest (25 bytes), its size. It must
** be a regular file: a FIFO would block and a device never end. */
static void hash_local_file(Lx *x, const char *zFile, char *zDigest,
                            sqlite3_int64 *pSize){
  FILE *f;
  LineageMd5 md5;
  unsigned char *buf, out[16];
  struct stat st;
  size_t n;
  int fd, bStat;
  if( x->rc ) return;
#ifdef O_NONBLOCK
  fd = open(zFile, O_RDONLY | O_NONBLOCK);   /* a FIFO must not block */
#else
  fd = open(zFile, O_RDONLY);
#endif
  if( fd<0 ){
    lx_fail(x, "cannot read local_path '%s': %s", zFile, strerror(errno));
    return;
  }
  bStat = fstat(fd, &st)==0;
  if( !bStat || !S_ISREG(st.st_mode) ){
    lx_fail(x, "local_path '%s' is %s: give a regular file", zFile,
            bStat ? file_kind(st.st_mode) : "not readable");
    close(fd);
    return;
  }
  buf = sqlite3_malloc(LOCAL_READ_CHUNK);
  f = buf ? fdopen(fd, "rb") : 0;
  if( f==0 ){
    if( buf==0 ){
      x->rc = SQLITE_NOMEM;
    }else{
      lx_fail(x, "cannot read local_path '%s': %s", zFile, strerror(errno));
    }
    sqlite3_free(buf);
    close(fd);
    return;
  }
  setvbuf(f, 0, _IONBF, 0);          /* read straight into buf */
  lineage_md5_init(&md5);
  *pSize = 0;
  while( x->rc==SQLITE_OK && (n = fread(buf, 1, LOCAL_READ_CHUNK, f))>0 ){
    size_t i, nPart;
    for(i=0; i<n; i+=nPart){
      nPart = n-i < LOCAL_CHECK_BYTES ? n-i : LOCAL_CHECK_BYTES;
      lineage_md5_update(&md5, buf+i, nPart);
      *pSize += (sqlite3_int64)nPart;
      if( read_interrupted(x) ){
        lx_fail(x, "reading local_path '%s' was interrupted", zFile);
        x->rc = SQLITE_INTERRUPT;
        break;
      }
    }
  }
  if( x->rc==SQLITE_OK && ferror(f) ){
    lx_fail(x, "cannot read local_path '%s': %s", zFile, strerror(errno));
  }
  fclose(f);
  sqlite3_free(buf);
  lineage_md5_final(&md5, out);
  lineage_base64(out, 16, zDigest);
}

static int entry_cmp(const void *a, const void *b){
  return strcmp(((const LineageEntry*)a)->zPath, ((const LineageEntry*)b)->zPath);
}

/* The files argument is read in one pass of json_tree, in document order:
** the top-level value (no parent), which must be an array, its elements
** (parent: the array), their members (parent: an element), and anything
** nested deeper, which no valid entry has and which is skipped. One parse
** of the JSON for the whole argument, where a json_extract per field would
** parse each entry a dozen times. Only atoms (scalar values) are read: an
** object's or array's value would be rendered as JSON text for every
** entry, and is only wanted in an error message (element_json). */
#define TREE_SQL \
  "SELECT id, parent, key, type, atom FROM main.json_tree(?1)"

/* The five keys an entry may have, in the order of EntryFields.a. */
static const char *const azEntryKey[] = {
  "path", "digest", "size", "ref", "local_path"
};
enum { KEY_PATH, KEY_DIGEST, KEY_SIZE, KEY_REF, KEY_LOCAL, KEY_COUNT };

/* One member of an entry: the first one of its key (json_extract gives the
** first of duplicate keys). */
typedef struct EntryField {
  int bSet;             /* the key is present (any type, null included) */
  int bText;            /* its JSON type is text */
  int bInt;             /* its JSON type is integer */
  char *z;              /* the text, when bText */
  int n;                /* its length in bytes */
  sqlite3_int64 i;      /* the value, when bInt */
} EntryField;

/* An element of the array while its members are read. */
typedef struct EntryFields {
  sqlite3_int64 iKey;   /* index in the array */
  sqlite3_int64 id;     /* json_tree id: the parent of its members */
  int bObject;
  char *zUnknown;       /* the unknown keys, "a, b", or NULL */
  EntryField a[KEY_COUNT];
} EntryFields;

static void fields_clear(EntryFields *f){
  int i;
  for(i=0; i<KEY_COUNT; i++) sqlite3_free(f->a[i].z);
  sqlite3_free(f->zUnknown);
  memset(f, 0, sizeof(*f));
}

/* Element iKey of the files array as the messages show it: JSON text (a
** string quoted, true, false and null by name). Read again for the message
** only; NULL once x has failed. */
static char *element_json(Lx *x, sqlite3_value *pFiles, sqlite3_int64 iKey){
  return lx_text(x, "SELECT CASE WHEN type IN ('object','array') THEN value "
                 "WHEN type IN ('true','false','null') THEN type "
                 "ELSE json_quote(value) END FROM main.json_each(?1) WHERE key=?2",
                 "vi", pFiles, iKey);
}

/* A json_tree row that is an element of the array: start f on it. */
static void element_start(Lx *x, sqlite3_stmt *p, EntryFields *f){
  const char *zType = lx_column_text(x, p, 3);
  memset(f, 0, sizeof(*f));
  if( zType==0 ) return;
  f->iKey = sqlite3_column_int64(p, 2);
  f->id = sqlite3_column_int64(p, 0);
  f->bObject = strcmp(zType, "object")==0;
}

/* A json_tree row that is a member of element f: keep it. */
static void element_member(Lx *x, sqlite3_stmt *p, EntryFields *f){
  const char *zKey = lx_column_text(x, p, 2);
  const char *zType = lx_column_text(x, p, 3);
  EntryField *e;
  int k;
  if( zKey==0 || zType==0 ) return;
  for(k=0; k<KEY_COUNT && strcmp(zKey, azEntryKey[k])!=0; k++){}
  if( k==KEY_COUNT ){
    f->zUnknown = sqlite3_mprintf("%z%s%s", f->zUnknown,
                                  f->zUnknown ? ", " : "", zKey);
    if( f->zUnknown==0 && x->rc==SQLITE_OK ) x->rc = SQLITE_NOMEM;
    return;
  }
  e = &f->a[k];
  if( e->bSet ) return;
  e->bSet = 1;
  e->bText = strcmp(zType, "text")==0;
  e->bInt = strcmp(zType, "integer")==0;
  if( e->bText ){
    const char *z = lx_column_text(x, p, 4);
    e->n = sqlite3_column_bytes(p, 4);
    e->z = z ? sqlite3_malloc(e->n+1) : 0;
    if( e->z ){
      memcpy(e->z, z, e->n+1);
    }else if( x->rc==SQLITE_OK ){
      x->rc = SQLITE_NOMEM;
    }
  }else if( e->bInt ){
    e->i = sqlite3_column_int64(p, 4);
  }
}

/* Check a complete element and turn it into entry e (the checks and their
** order are those of the reference: its messages are part of the API). */
static void entry_load(Lx *x, sqlite3_value *pFiles, EntryFields *f,
                       int bAllowLocal, LineageEntry *e){
  EntryField *pPath = &f->a[KEY_PATH], *pDigest = &f->a[KEY_DIGEST];
  EntryField *pSize = &f->a[KEY_SIZE], *pRef = &f->a[KEY_REF];
  EntryField *pLocal = &f->a[KEY_LOCAL];
  const char *zPath;
  char zHash[32];
  memset(e, 0, sizeof(*e));
  e->size = -1;
  if( x->rc ) return;
  if( !f->bObject ){
    char *zJson = element_json(x, pFiles, f->iKey);
    lx_fail(x, "files[%lld] is %s, not an object with a path", f->iKey, zJson);
    sqlite3_free(zJson);
    return;
  }
  if( f->zUnknown ){
    lx_fail(x, "files[%lld] has unknown key(s) %s: use path, digest, size, "
               "ref, local_path", f->iKey, f->zUnknown);
    return;
  }
  if( !pPath->bText || pPath->n==0 ){
    char *zJson = element_json(x, pFiles, f->iKey);
    lx_fail(x, "files[%lld] needs a non-empty text \"path\": %s", f->iKey,
            zJson);
    sqlite3_free(zJson);
    return;
  }
  zPath = pPath->z;
  if( (pDigest->bSet && (!pDigest->bText || pDigest->n==0))
   || (pRef->bSet && (!pRef->bText || pRef->n==0))
   || (pLocal->bSet && (!pLocal->bText || pLocal->n==0)) ){
    lx_fail(x, "files[%lld] '%s': digest, ref and local_path must be "
               "non-empty text", f->iKey, zPath);
    return;
  }
  if( pSize->bSet && (!pSize->bInt || pSize->i<0) ){
    char *zJson = element_json(x, pFiles, f->iKey);
    lx_fail(x, "files[%lld] '%s': size must be a non-negative integer, "
               "not %s", f->iKey, zPath, zJson);
    sqlite3_free(zJson);
    return;
  }
  if( pLocal->bSet && (pDigest->bSet || pRef->bSet || pSize->bSet) ){
    lx_fail(x, "files[%lld] '%s': local_path is hashed from disk and takes "
               "no digest, ref or size", f->iKey, zPath);
    return;
  }
  if( !pLocal->bSet && !pDigest->bSet && !pRef->bSet ){
    lx_fail(x, "files[%lld] '%s' needs a digest, a ref or a local_path",
            f->iKey, zPath);
    return;
  }
  if( pLocal->bSet && lineage_replicated(x->conn) ){
    lx_fail(x, "files[%lld] '%s': local_path is not read in replicated mode "
               "(it would read this node's disk); give its digest", f->iKey,
            zPath);
    return;
  }
  if( pLocal->bSet && !bAllowLocal ){
    lx_fail(x, "files[%lld] '%s': local_path is not allowed here (only "
               "log_artifact reads files); give its digest", f->iKey, zPath);
    return;
  }
  if( pSize->bSet ) e->size = pSize->i;
  if( pLocal->bSet ){
    hash_local_file(x, pLocal->z, zHash, &e->size);
    if( x->rc ) return;                 /* unreadable: zHash was not set */
    e->zDigest = sqlite3_mprintf("%s", zHash);
  }else{
    /* Taken over from f, which gives them up. */
    e->zDigest = pDigest->bSet ? pDigest->z : sqlite3_mprintf("%s", pRef->z);
    if( pDigest->bSet ) pDigest->z = 0;
  }
  e->zPath = pPath->z;
  pPath->z = 0;
  if( pRef->bSet ){ e->zRefUri = pRef->z; pRef->z = 0; }
  if( x->rc==SQLITE_OK && !e->zDigest ) x->rc = SQLITE_NOMEM;
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

/* Step TREE_SQL to its first row, the top-level value, which must be an
** array; its id. JSON that does not parse fails that step: like any value
** that is not an array it gets this message. Any other failure is passed
** on as such. */
static sqlite3_int64 files_root(Lx *x, sqlite3_stmt *pStmt,
                                sqlite3_value *pFiles){
  const char *zType = 0;
  int rc;
  if( x->rc ) return -1;
  rc = sqlite3_step(pStmt);
  if( rc==SQLITE_ROW ){
    zType = lx_column_text(x, pStmt, 3);
  }else if( rc!=SQLITE_DONE && rc!=SQLITE_ERROR ){
    /* Out of memory, or a lock conflict re-preparing the statement: not
    ** a word about the JSON. */
    lx_fail_db(x, rc);
  }
  if( x->rc==SQLITE_OK && (zType==0 || strcmp(zType, "array")!=0) ){
    lx_fail(x, "files must be a JSON array of entries, not %s",
            sqlite3_value_text(pFiles));
  }
  return x->rc ? -1 : sqlite3_column_int64(pStmt, 0);
}

/* Append element f, complete, to p as an entry (once x is failed: only
** forget f). */
static void entry_add(Lx *x, sqlite3_value *pFiles, LineageManifest *p,
                      EntryFields *f, int bAllowLocal, int *pnAlloc){
  if( x->rc==SQLITE_OK && p->n==*pnAlloc ){
    int nNew = *pnAlloc ? 2*(*pnAlloc) : 16;
    LineageEntry *aNew = sqlite3_realloc64(p->a,
                                 sizeof(LineageEntry)*(sqlite3_uint64)nNew);
    if( aNew==0 ){
      x->rc = SQLITE_NOMEM;
    }else{
      p->a = aNew;
      *pnAlloc = nNew;
    }
  }
  if( x->rc==SQLITE_OK ){
    entry_load(x, pFiles, f, bAllowLocal, &p->a[p->n]);
    p->n++;
  }
  fields_clear(f);
}

void lineage_manifest_load(Lx *x, sqlite3_value *pFiles, int bAllowLocal,
                           LineageManifest *p){
  sqlite3_stmt *pStmt;
  EntryFields f;
  sqlite3_int64 iRoot;
  int i, bElem = 0, nAlloc = 0;
  memset(p, 0, sizeof(*p));
  memset(&f, 0, sizeof(f));
  if( x->rc ) return;
  if( pFiles && sqlite3_value_type(pFiles)!=SQLITE_NULL ){
    pStmt = lx_prepare(x, TREE_SQL, "v", pFiles);
    iRoot = files_root(x, pStmt, pFiles);
    while( x->rc==SQLITE_OK && lx_step(x, pStmt)==SQLITE_ROW ){
      sqlite3_int64 iParent = sqlite3_column_int64(pStmt, 1);
      if( iParent==iRoot ){
        if( bElem ) entry_add(x, pFiles, p, &f, bAllowLocal, &nAlloc);
        if( x->rc ) break;
        element_start(x, pStmt, &f);
        bElem = 1;
      }else if( bElem && f.bObject && iParent==f.id ){
        element_member(x, pStmt, &f);
      }
      if( x->rc ) break;
    }
    if( bElem ) entry_add(x, pFiles, p, &f, bAllowLocal, &nAlloc);
    fields_clear(&f);
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
    if( p->a[i].size>LINEAGE_INT64_MAX - p->size ){
      lx_fail(x, "files' sizes add up to more than %lld bytes",
              LINEAGE_INT64_MAX);
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
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "artifact_digest", argc, argv);
  lineage_manifest_load(&x, argv[0], 0, &m);
  if( lx_end(&x, ctx)==SQLITE_OK ){
    sqlite3_result_text(ctx, m.zDigest, -1, SQLITE_TRANSIENT);
  }
  lineage_manifest_clear(&m);
}
