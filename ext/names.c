/*
** names.c: validating names and resolving references to nodes.
**
** Rules (SPEC.md, "Names and references"):
**   artifact name  1-128 chars of [A-Za-z0-9_.-]
**   type, alias    1-128 chars without '/' or ':'; an alias is never vN
**   run id         1-256 chars, no leading/trailing space, none of /:;,#?'
**   artifact ref   [[entity/]project/]name[:alias|:vN]  (split on first ':')
**   run ref        [[entity/]project/]run_id
** An unqualified reference resolves in a given project, or else in the one
** project that has such a name; several candidates are an error that lists
** them. Every lookup is a bound query on lineage_node's unique indexes.
*/
#include "lineage.h"
#include <string.h>

/* The longest list of candidates or versions an error message spells out. */
#define LINEAGE_MAX_LISTED 10

int lineage_valid_name(const char *z){
  int n = 0;
  if( z==0 ) return 0;
  for(; z[n]; n++){
    char c = z[n];
    if( !((c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9')
          || c=='_' || c=='.' || c=='-') ) return 0;
  }
  return n>=1 && n<=128;
}

/* Length in characters (UTF-8), not bytes. */
static int utf8_len(const char *z){
  int n = 0;
  for(; *z; z++) if( (*z & 0xC0)!=0x80 ) n++;
  return n;
}

int lineage_valid_type(const char *z){
  int n;
  if( z==0 || strpbrk(z, "/:") ) return 0;
  n = utf8_len(z);
  return n>=1 && n<=128;
}

/* "v" followed by one or more digits only: a version, never an alias. */
static int is_version_label(const char *z){
  int i;
  if( z[0]!='v' || z[1]==0 ) return 0;
  for(i=1; z[i]; i++) if( z[i]<'0' || z[i]>'9' ) return 0;
  return 1;
}

int lineage_valid_alias(const char *z){
  return lineage_valid_type(z) && !is_version_label(z);
}

int lineage_valid_run_id(const char *z){
  int n;
  static const char *zWs = " \t\n\r\v\f";
  if( z==0 || z[0]==0 || strpbrk(z, "/:;,#?'") ) return 0;
  n = (int)strlen(z);
  if( strchr(zWs, z[0]) || strchr(zWs, z[n-1]) ) return 0;
  return utf8_len(z)<=256;
}

/* A project is "project" or "entity/project": non-empty parts without ':'. */
int lineage_valid_project(const char *z){
  const char *zSlash;
  if( z==0 || z[0]==0 || strchr(z, ':') ) return 0;
  zSlash = strchr(z, '/');
  if( zSlash==0 ) return 1;
  return zSlash>z && zSlash[1]!=0 && strchr(zSlash+1, '/')==0;
}

void lineage_check_name(Lx *x, const char *z){
  if( x->rc==0 && !lineage_valid_name(z) ){
    lx_fail(x, "invalid artifact name '%s': use 1-128 characters of "
               "A-Z a-z 0-9 _ . -", z);
  }
}

void lineage_check_type(Lx *x, const char *z){
  if( x->rc==0 && !lineage_valid_type(z) ){
    lx_fail(x, "invalid artifact type '%s': use 1-128 characters "
               "without '/' or ':'", z);
  }
}

void lineage_check_alias(Lx *x, const char *z){
  if( x->rc ) return;
  if( z && lineage_valid_type(z) && is_version_label(z) ){
    lx_fail(x, "invalid alias '%s': v<digits> is reserved for versions", z);
  }else if( !lineage_valid_alias(z) ){
    lx_fail(x, "invalid alias '%s': use 1-128 characters without '/' or ':'",
            z);
  }
}

void lineage_ref_clear(LineageRef *p){
  sqlite3_free(p->zProject);
  sqlite3_free(p->zName);
  sqlite3_free(p->zSel);
  memset(p, 0, sizeof(*p));
}

/* The first n bytes of z as a string (sqlite3_malloc'd), or NULL when out
** of memory: a reference is split on every writer call, and
** sqlite3_mprintf("%.*s") costs several times as much. */
static char *str_n(const char *z, size_t n){
  char *zOut = sqlite3_malloc64(n+1);
  if( zOut ){
    memcpy(zOut, z, n);
    zOut[n] = 0;
  }
  return zOut;
}

void lineage_ref_parse(Lx *x, const char *zRef, int isArtifact, LineageRef *p){
  const char *zColon, *zEnd, *zLast;
  int nSlash = 0;
  const char *z;
  const char *zWhat = isArtifact ? "artifact" : "run";
  memset(p, 0, sizeof(*p));
  if( x->rc ) return;
  if( zRef==0 || zRef[0]==0 ){
    lx_fail(x, "empty %s reference", zWhat);
    return;
  }
  zColon = strchr(zRef, ':');
  if( zColon && !isArtifact ){
    lx_fail(x, "invalid run reference '%s': a run reference has no ':'", zRef);
    return;
  }
  zEnd = zColon ? zColon : zRef + strlen(zRef);
  zLast = zRef;
  for(z=zRef; z<zEnd; z++){
    if( *z=='/' ){ nSlash++; zLast = z+1; }
  }
  if( nSlash>2 ){
    lx_fail(x, "invalid %s reference '%s': at most entity/project/name",
            zWhat, zRef);
    return;
  }
  if( nSlash>0 ){
    p->zProject = str_n(zRef, zLast-1-zRef);
    if( p->zProject==0 ){ x->rc = SQLITE_NOMEM; return; }
    if( !lineage_valid_project(p->zProject) ){
      lx_fail(x, "invalid %s reference '%s': empty project or entity",
              zWhat, zRef);
      lineage_ref_clear(p);
      return;
    }
  }
  p->zName = str_n(zLast, zEnd-zLast);
  if( zColon ) p->zSel = str_n(zColon+1, strlen(zColon+1));
  if( p->zName==0 || (zColon && p->zSel==0) ){
    x->rc = SQLITE_NOMEM;
    lineage_ref_clear(p);
    return;
  }
  if( isArtifact ){
    if( !lineage_valid_name(p->zName) ){
      lx_fail(x, "invalid artifact reference '%s': the name '%s' must be "
                 "1-128 characters of A-Z a-z 0-9 _ . -", zRef, p->zName);
    }else if( p->zSel && !is_version_label(p->zSel)
           && !lineage_valid_alias(p->zSel) ){
      lx_fail(x, "invalid artifact reference '%s': '%s' is neither an alias "
                 "nor a version vN", zRef, p->zSel);
    }
  }else if( !lineage_valid_run_id(p->zName) ){
    lx_fail(x, "invalid run id '%s': 1-256 characters, no leading or "
               "trailing space, none of / : ; , # ? '", p->zName);
  }
  if( x->rc ) lineage_ref_clear(p);
}

void lineage_node_clear(LineageNode *p){
  sqlite3_free(p->zProject);
  sqlite3_free(p->zName);
  sqlite3_free(p->zType);
  sqlite3_free(p->zState);
  memset(p, 0, sizeof(*p));
}

/* Fill *pOut from a row (node_id, kind, project, name, version, type, state). */
static void node_from_row(Lx *x, sqlite3_stmt *pStmt, LineageNode *pOut){
  const char *zKind = lx_column_text(x, pStmt, 1);
  memset(pOut, 0, sizeof(*pOut));
  pOut->id = sqlite3_column_int64(pStmt, 0);
  sqlite3_snprintf(sizeof(pOut->zKind), pOut->zKind, "%s", zKind ? zKind : "");
  pOut->zProject = lx_column_dup(x, pStmt, 2);
  pOut->zName = lx_column_dup(x, pStmt, 3);
  pOut->version = sqlite3_column_type(pStmt, 4)==SQLITE_NULL
                ? -1 : sqlite3_column_int64(pStmt, 4);
  pOut->zType = lx_column_dup(x, pStmt, 5);
  pOut->zState = lx_column_dup(x, pStmt, 6);
  if( x->rc==SQLITE_OK ){
    /* Damaged data (the table's constraints were bypassed or removed) is
    ** reported, never taken for something else. */
    static const char *azCol[] = { "kind", "project", "name", "state" };
    static const int aiCol[] = { 1, 2, 3, 6 };
    int i;
    for(i=0; i<4 && sqlite3_column_type(pStmt, aiCol[i])!=SQLITE_NULL; i++){}
    if( i<4 ){
      lx_fail(x, "lineage_node row %lld has a NULL %s", pOut->id, azCol[i]);
    }else if( sqlite3_column_type(pStmt, 4)
              != (pOut->zKind[0]=='a' ? SQLITE_INTEGER : SQLITE_NULL) ){
      /* Every query that gets here asked for kind 'run' or 'artifact'. */
      const char *zV = lx_column_text(x, pStmt, 4);
      lx_fail(x, "lineage_node row %lld is a%s %s with version %s%.40s%s",
              pOut->id, zKind[0]=='a' ? "n" : "", zKind, zV ? "'" : "",
              zV ? zV : "NULL", zV ? "'" : "");
    }
  }
  if( x->rc ) lineage_node_clear(pOut);
}

#define NODE_COLS "node_id, kind, project, name, version, type, state"

/* Step a prepared query for at most one node and finalize it; 1 if found. */
static int node_query(Lx *x, LineageNode *pOut, sqlite3_stmt *pStmt){
  int bFound = 0;
  if( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    node_from_row(x, pStmt, pOut);
    bFound = x->rc==SQLITE_OK;
  }
  lx_finalize(x, pStmt);
  return bFound;
}

void lineage_node_load(Lx *x, sqlite3_int64 id, LineageNode *pOut){
  memset(pOut, 0, sizeof(*pOut));
  if( x->rc ) return;
  if( !lineage_schema_exists(x) ){
    lx_fail(x, "no node %lld: the database has no lineage yet", id);
    return;
  }
  if( !node_query(x, pOut, lx_prepare(x, "SELECT " NODE_COLS " FROM "
                 "main.lineage_node WHERE node_id=?1", "i", id))
   && x->rc==SQLITE_OK ){
    lx_fail(x, "no node %lld", id);
  }
}

/* The projects that have a node of this kind and name, as "'a', 'b'";
** *pnProject gets their number. zOnlyProject is set to the single one. */
static char *candidate_projects(Lx *x, const char *zKind, const char *zName,
                                int *pnProject, char **pzOnly){
  sqlite3_stmt *pStmt;
  char *zList = 0;
  int n = 0;
  *pnProject = 0;
  if( pzOnly ) *pzOnly = 0;
  pStmt = lx_prepare(x,
      "SELECT DISTINCT project FROM main.lineage_node "
      "WHERE name=?1 AND kind=?2 ORDER BY project", "tt", zName, zKind);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    const char *zP = lx_column_text(x, pStmt, 0);
    if( zP==0 ) break;
    n++;
    if( n==1 && pzOnly ) *pzOnly = lx_column_dup(x, pStmt, 0);
    if( n<=LINEAGE_MAX_LISTED ){
      zList = sqlite3_mprintf("%z%s'%s'", zList, n>1 ? ", " : "", zP);
    }else if( n==LINEAGE_MAX_LISTED+1 ){
      zList = sqlite3_mprintf("%z, ...", zList);
    }
  }
  lx_finalize(x, pStmt);
  *pnProject = n;
  return zList;
}

/* The project an unqualified name lives in, or NULL (x failed) when none or
** several have it. zWhat/zRef name the reference in the message. */
static char *unique_project(Lx *x, const char *zKind, const char *zName,
                            const char *zRef){
  int n = 0;
  char *zOnly = 0;
  char *zList = candidate_projects(x, zKind, zName, &n, &zOnly);
  if( x->rc==SQLITE_OK ){
    if( n==0 ){
      lx_fail(x, "no %s '%s'", zKind, zRef);
    }else if( n>1 ){
      lx_fail(x, "%s '%s' is ambiguous: it exists in projects %s; "
                 "qualify it as project/%s", zKind, zRef, zList, zRef);
    }
  }
  sqlite3_free(zList);
  if( x->rc ){ sqlite3_free(zOnly); zOnly = 0; }
  return zOnly;
}

static int schema_or_fail(Lx *x, const char *zKind, const char *zRef){
  if( x->rc ) return 0;
  if( lineage_schema_exists(x) ) return 1;
  lx_fail(x, "no %s '%s': the database has no lineage yet", zKind, zRef);
  return 0;
}

void lineage_resolve_run(Lx *x, const char *zRef, LineageNode *pOut){
  LineageRef r;
  const char *zProject;
  char *zOwned;
  memset(pOut, 0, sizeof(*pOut));
  if( x->rc ) return;
  if( zRef==0 ){ lx_fail(x, "the run is NULL"); return; }
  lineage_ref_parse(x, zRef, 0, &r);
  if( !schema_or_fail(x, "run", zRef) ){ lineage_ref_clear(&r); return; }
  if( r.zProject==0 ){
    /* Unqualified: found at once when one project has it (the common
    ** case); else unique_project says none or which ones. */
    sqlite3_stmt *pStmt = lx_prepare(x, "SELECT " NODE_COLS " FROM "
        "main.lineage_node WHERE name=?1 AND kind='run' LIMIT 2", "t", r.zName);
    int nRow = 0;
    while( pStmt && lx_step(x, pStmt)==SQLITE_ROW && ++nRow==1 ){
      node_from_row(x, pStmt, pOut);
    }
    lx_finalize(x, pStmt);
    if( nRow==1 || x->rc ){
      if( x->rc ) lineage_node_clear(pOut);
      lineage_ref_clear(&r);
      return;
    }
    lineage_node_clear(pOut);
  }
  zOwned = r.zProject ? 0 : unique_project(x, "run", r.zName, zRef);
  zProject = r.zProject ? r.zProject : zOwned;
  if( x->rc==SQLITE_OK && zProject==0 ) x->rc = SQLITE_NOMEM;
  if( x->rc==SQLITE_OK
   && !node_query(x, pOut, lx_prepare(x, "SELECT " NODE_COLS " FROM "
                  "main.lineage_node WHERE name=?1 AND project=?2 AND "
                  "kind='run'", "tt", r.zName, zProject))
   && x->rc==SQLITE_OK ){
    lx_fail(x, "no run '%s' in project '%s'", r.zName, zProject);
  }
  sqlite3_free(zOwned);
  lineage_ref_clear(&r);
}

/* "v0-v3, v5" for the versions of an artifact (at most a few ranges). */
static char *version_list(Lx *x, const char *zProject, const char *zName){
  sqlite3_stmt *pStmt;
  char *zList = 0;
  sqlite3_int64 lo = -1, hi = -1;
  int nRange = 0;
  pStmt = lx_prepare(x, "SELECT version FROM main.lineage_node WHERE "
                        "name=?1 AND project=?2 AND kind='artifact' "
                        "ORDER BY version", "tt", zName, zProject);
  for(;;){
    int bRow = pStmt && lx_step(x, pStmt)==SQLITE_ROW;
    sqlite3_int64 v = bRow ? sqlite3_column_int64(pStmt, 0) : -2;
    if( bRow && hi>=0 && hi<LINEAGE_INT64_MAX && v==hi+1 ){ hi = v; continue; }
    if( hi>=0 && nRange<LINEAGE_MAX_LISTED ){
      if( lo==hi ){
        zList = sqlite3_mprintf("%z%sv%lld", zList, nRange ? ", " : "", lo);
      }else{
        zList = sqlite3_mprintf("%z%sv%lld-v%lld", zList, nRange?", ":"", lo, hi);
      }
    }else if( hi>=0 && nRange==LINEAGE_MAX_LISTED ){
      zList = sqlite3_mprintf("%z, ...", zList);
    }
    if( hi>=0 ) nRange++;
    if( !bRow ) break;
    lo = hi = v;
  }
  lx_finalize(x, pStmt);
  return zList;
}

/* Fail x: no artifact zName in project zProj (saying where it is, if it is
** somewhere else). */
static void no_artifact(Lx *x, const char *zName, const char *zProj){
  int n = 0;
  char *zList = candidate_projects(x, "artifact", zName, &n, 0);
  if( n>0 ){
    lx_fail(x, "no artifact '%s' in project '%s' (it is in %s)",
            zName, zProj, zList);
  }else{
    lx_fail(x, "no artifact '%s' in project '%s'", zName, zProj);
  }
  sqlite3_free(zList);
}

/* Fail x: artifact zName of project zProj exists but has no version or
** alias zSel. */
static void no_selector(Lx *x, const char *zName, const char *zProj,
                        const char *zSel){
  if( is_version_label(zSel) ){
    char *zList = version_list(x, zProj, zName);
    lx_fail(x, "no artifact '%s:%s' in project '%s' (versions: %s)",
            zName, zSel, zProj, zList ? zList : "none");
    sqlite3_free(zList);
  }else{
    char *zList = lx_text(x, "SELECT group_concat(alias, ', ') FROM "
                  "(SELECT alias FROM main.lineage_alias WHERE project=?2 "
                  "AND name=?1 ORDER BY alias)", "tt", zName, zProj);
    if( strcmp(zSel, "latest")==0 ){
      lx_fail(x, "artifact '%s' in project '%s' has no latest version: "
                 "every version is deleted", zName, zProj);
    }else{
      lx_fail(x, "no alias '%s' on artifact '%s' in project '%s' "
                 "(aliases: %s)", zSel, zName, zProj, zList ? zList : "none");
    }
    sqlite3_free(zList);
  }
}

/* The version zSel (vN or an alias) of artifact zName in project zProj;
** 1 if found. */
static int select_version(Lx *x, const char *zName, const char *zProj,
                          const char *zSel, LineageNode *pOut){
  sqlite3_stmt *pStmt;
  int bFound = 0;
  if( is_version_label(zSel) ){
    sqlite3_int64 v = 0;
    const char *z;
    for(z=zSel+1; *z; z++){
      /* Exactly the number written: one past the largest version is no
      ** version (not found), never another one. */
      if( v > (LINEAGE_INT64_MAX - (*z-'0'))/10 ) return 0;
      v = v*10 + (*z-'0');
    }
    return node_query(x, pOut, lx_prepare(x, "SELECT " NODE_COLS " FROM "
                      "main.lineage_node WHERE name=?1 AND project=?2 AND "
                      "version=?3 AND kind='artifact'", "tti", zName, zProj, v));
  }
  /* An alias row is data like any other: it must point at a version of its
  ** own artifact, or it is reported rather than followed. */
  pStmt = lx_prepare(x, "SELECT n.node_id, n.kind, n.project, n.name, "
                     "n.version, n.type, n.state, a.node_id, "
                     "n.kind IS 'artifact' AND n.name IS a.name "
                     "AND n.project IS a.project FROM main.lineage_alias a "
                     "LEFT JOIN main.lineage_node n ON n.node_id=a.node_id "
                     "WHERE a.project=?2 AND a.name=?1 AND a.alias=?3",
                     "ttt", zName, zProj, zSel);
  if( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    if( sqlite3_column_int(pStmt, 8) ){
      node_from_row(x, pStmt, pOut);
      bFound = x->rc==SQLITE_OK;
    }else{
      const char *zId = lx_column_text(x, pStmt, 7);
      lx_fail(x, "alias '%s' of artifact '%s' in project '%s' points at "
                 "node %.40s, which is not one of its versions (a damaged "
                 "lineage_alias row)", zSel, zName, zProj, zId ? zId : "NULL");
    }
  }
  lx_finalize(x, pStmt);
  return bFound;
}

void lineage_resolve_version(Lx *x, const char *zRef, const char *zProject,
                             LineageNode *pOut){
  LineageRef r;
  const char *zProj, *zSel;
  char *zOwned;
  memset(pOut, 0, sizeof(*pOut));
  if( x->rc ) return;
  if( zRef==0 ){ lx_fail(x, "the artifact is NULL"); return; }
  lineage_ref_parse(x, zRef, 1, &r);
  if( !schema_or_fail(x, "artifact", zRef) ){ lineage_ref_clear(&r); return; }
  zOwned = r.zProject || zProject ? 0
         : unique_project(x, "artifact", r.zName, zRef);
  zProj = r.zProject ? r.zProject : zProject ? zProject : zOwned;
  if( x->rc==SQLITE_OK && zProj==0 ) x->rc = SQLITE_NOMEM;
  zSel = r.zSel ? r.zSel : "latest";
  /* The lookup first (one seek); only a miss asks why. */
  if( x->rc==SQLITE_OK && !select_version(x, r.zName, zProj, zSel, pOut)
   && x->rc==SQLITE_OK ){
    if( !lx_int(x, 0, "SELECT 1 FROM main.lineage_node WHERE name=?1 AND "
                      "project=?2 AND kind='artifact'", "tt", r.zName, zProj) ){
      if( x->rc==SQLITE_OK ) no_artifact(x, r.zName, zProj);
    }else{
      no_selector(x, r.zName, zProj, zSel);
    }
  }
  sqlite3_free(zOwned);
  lineage_ref_clear(&r);
}

char *lineage_artifact_project(Lx *x, const char *zRef, LineageRef *pRef){
  char *zProj;
  memset(pRef, 0, sizeof(*pRef));
  if( x->rc ) return 0;
  if( zRef==0 ){ lx_fail(x, "the artifact is NULL"); return 0; }
  lineage_ref_parse(x, zRef, 1, pRef);
  if( !schema_or_fail(x, "artifact", zRef) ) return 0;
  zProj = pRef->zProject ? lx_strdup(x, pRef->zProject)
        : unique_project(x, "artifact", pRef->zName, zRef);
  if( x->rc==SQLITE_OK && zProj==0 ) x->rc = SQLITE_NOMEM;
  if( x->rc==SQLITE_OK
   && !lx_int(x, 0, "SELECT 1 FROM main.lineage_node WHERE name=?1 AND "
                    "project=?2 AND kind='artifact'", "tt", pRef->zName, zProj)
   && x->rc==SQLITE_OK ){
    no_artifact(x, pRef->zName, zProj);
  }
  if( x->rc ){ sqlite3_free(zProj); return 0; }
  return zProj;
}

void lineage_resolve_start(Lx *x, sqlite3_value *pStart, LineageNode *pOut){
  memset(pOut, 0, sizeof(*pOut));
  if( x->rc ) return;
  switch( sqlite3_value_type(pStart) ){
    case SQLITE_INTEGER:
      lineage_node_load(x, sqlite3_value_int64(pStart), pOut);
      break;
    case SQLITE_TEXT: {
      const char *z = (const char*)sqlite3_value_text(pStart);
      lx_check_text(x, pStart, "the start");
      if( x->rc==SQLITE_OK && z==0 ) x->rc = SQLITE_NOMEM; /* converting it failed */
      if( x->rc ) break;
      if( strchr(z, ':') ) lineage_resolve_version(x, z, 0, pOut);
      else lineage_resolve_run(x, z, pOut);
      break;
    }
    case SQLITE_NULL:
      lx_fail(x, "the start is NULL: give a node_id, 'name:alias' or a run id");
      break;
    default:
      lx_fail(x, "start '%s' is neither a node_id, an artifact reference "
                 "nor a run reference", sqlite3_value_text(pStart));
      break;
  }
}

char *lineage_version_ref(const LineageNode *p, int bQualify){
  if( bQualify ){
    return sqlite3_mprintf("%s/%s:v%lld", p->zProject, p->zName, p->version);
  }
  return sqlite3_mprintf("%s:v%lld", p->zName, p->version);
}
