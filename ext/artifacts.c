/*
** artifacts.c: log_artifact and the alias and delete functions.
**
**   SELECT log_artifact('vision/prep-1', 'mnist', 'dataset',
**            '[{"path":"train.csv","digest":"1B2M2Y8AsgTpgAmY7PhCfg=="}]',
**            '["best"]');                                   -- 'mnist:v0'
**   SELECT artifact_alias('mnist:v0', 'prod');
**   SELECT artifact_delete('mnist:v0', 1);
**
** W&B semantics: versions of an artifact are numbered v0, v1, ... in the
** order they are logged and a number is never reused (the next one is
** max(version)+1 over all versions, deleted ones included); `latest` always
** names the newest version that is not deleted; an alias names one version
** of an artifact at a time, so setting it moves it. Logging the same digest
** as the newest version makes no new version: the aliases are merged onto
** it and the run is recorded as one more producer. In replicated mode
** (replicated.c) a run that logs a digest it already logged as a live
** version of the artifact gets that version back and nothing changes: a
** retry after a lost acknowledgement makes no second version.
*/
#include "lineage.h"
#include <string.h>

/* A reference is qualified when its name part has a project before it. */
static int ref_is_qualified(const char *zRef){
  const char *zColon = strchr(zRef, ':');
  const char *zSlash = strchr(zRef, '/');
  return zSlash && (zColon==0 || zSlash<zColon);
}

/* Check the aliases argument: a JSON array of valid alias strings. */
static void check_aliases(Lx *x, sqlite3_value *pAliases){
  sqlite3_stmt *pStmt;
  char *zType;
  if( x->rc || pAliases==0 || sqlite3_value_type(pAliases)==SQLITE_NULL ) return;
  zType = lx_json_type(x, pAliases);
  if( x->rc==SQLITE_OK && (zType==0 || strcmp(zType, "array")!=0) ){
    lx_fail(x, "aliases must be a JSON array of text, not %s",
            sqlite3_value_text(pAliases));
  }
  sqlite3_free(zType);
  if( x->rc ) return;
  pStmt = lx_prepare(x, "SELECT type, value FROM main.json_each(?1)", "v", pAliases);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    const char *zT = lx_column_text(x, pStmt, 0);
    const char *zAlias = lx_column_text(x, pStmt, 1);
    if( x->rc ) break;
    if( strcmp(zT, "text")!=0 ){
      lx_fail(x, "aliases must be a JSON array of text, not %s",
              sqlite3_value_text(pAliases));
    }else{
      lineage_check_alias(x, zAlias);
    }
  }
  lx_finalize(x, pStmt);
}

/* Set latest and every alias of the array on p, at time zAt. */
static void aliases_apply(Lx *x, const LineageNode *p, sqlite3_value *pAliases,
                          const char *zAt){
  sqlite3_stmt *pStmt;
  lineage_alias_set(x, p, "latest", "log", zAt);
  if( pAliases==0 || sqlite3_value_type(pAliases)==SQLITE_NULL ) return;
  pStmt = lx_prepare(x, "SELECT DISTINCT value FROM main.json_each(?1)", "v", pAliases);
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    const char *zAlias = lx_column_text(x, pStmt, 0);
    if( zAlias ) lineage_alias_set(x, p, zAlias, "log", zAt);
  }
  lx_finalize(x, pStmt);
}

/* Check log_artifact's options; fills the values to store. Values are read
** with -> (their JSON text), never json(json_extract()), which fails with
** "malformed JSON" on a string such as {"tags":"x"}. */
static void check_log_options(Lx *x, sqlite3_value *pOpts, char **pzDesc,
                              char **pzMeta, char **pzTags, char **pzCreated){
  static const char *const azOpt[] = {
    "description", "metadata", "tags", "created_at", 0
  };
  char *zCreatedIn = 0;
  *pzDesc = *pzMeta = *pzTags = 0;
  lineage_check_options(x, pOpts, "log_artifact", azOpt);
  if( x->rc==SQLITE_OK && pOpts && sqlite3_value_type(pOpts)!=SQLITE_NULL ){
    sqlite3_stmt *pStmt = lx_prepare(x,
        "SELECT json_type(?1,'$.description'), json_extract(?1,'$.description'),"
        " json_type(?1,'$.metadata'), ?1 -> '$.metadata',"
        " (SELECT count(*) FROM main.json_each(?1,'$.metadata')),"
        " json_type(?1,'$.tags'), ?1 -> '$.tags',"
        " (SELECT count(*) FROM main.json_each(?1,'$.tags') WHERE type<>'text'),"
        " json_type(?1,'$.created_at'), json_extract(?1,'$.created_at')",
        "v", pOpts);
    if( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
      const char *zT;
      zT = lx_column_text(x, pStmt, 0);
      if( zT && strcmp(zT, "text")!=0 && strcmp(zT, "null")!=0 ){
        lx_fail(x, "log_artifact option 'description' must be text, not %s", zT);
      }else if( zT && zT[0]=='t' ){
        *pzDesc = lx_column_dup(x, pStmt, 1);
      }
      zT = lx_column_text(x, pStmt, 2);
      if( zT && strcmp(zT, "object")!=0 && strcmp(zT, "null")!=0 ){
        lx_fail(x, "log_artifact option 'metadata' must be an object, not %s", zT);
      }else if( zT && zT[0]=='o' ){
        if( sqlite3_column_int(pStmt, 4)>100 ){
          lx_fail(x, "log_artifact option 'metadata' has %d keys; at most "
                     "100 are allowed", sqlite3_column_int(pStmt, 4));
        }
        *pzMeta = lx_column_dup(x, pStmt, 3);
      }
      zT = lx_column_text(x, pStmt, 5);
      if( zT && ((strcmp(zT, "array")!=0 && strcmp(zT, "null")!=0)
                 || sqlite3_column_int(pStmt, 7)>0) ){
        lx_fail(x, "log_artifact option 'tags' must be an array of text, "
                   "not %s", sqlite3_column_text(pStmt, 6));
      }else if( zT && zT[0]=='a' ){
        *pzTags = lx_column_dup(x, pStmt, 6);
      }
      zT = lx_column_text(x, pStmt, 8);
      if( zT && strcmp(zT, "text")!=0 && strcmp(zT, "null")!=0 ){
        lx_fail(x, "log_artifact option 'created_at' must be text, not %s", zT);
      }else if( zT && zT[0]=='t' ){
        zCreatedIn = lx_column_dup(x, pStmt, 9);
      }
    }
    lx_finalize(x, pStmt);
  }
  *pzCreated = lx_time(x, zCreatedIn, "created_at");
  sqlite3_free(zCreatedIn);
}

/* What the artifact has so far, read from its versions newest first (one
** index range, usually one row): its type, which zType must match; the next
** version number, into *piNext (deleted versions count: numbers are never
** reused); and the result, its newest live version if that has the digest
** zDigest (W&B's dedup), else 0. */
static sqlite3_int64 artifact_state(Lx *x, const char *zName,
                                    const char *zProject, const char *zType,
                                    const char *zDigest, sqlite3_int64 *piNext){
  sqlite3_int64 iSame = 0;
  int nRow = 0;
  sqlite3_stmt *pStmt = lx_prepare(x, "SELECT n.version, n.type, "
      "n.state='committed' AND v.node_id IS NOT NULL, v.digest=?3, n.node_id "
      "FROM main.lineage_node n LEFT JOIN main.lineage_version v ON v.node_id=n.node_id "
      "WHERE n.name=?1 AND n.project=?2 AND n.kind='artifact' "
      "ORDER BY n.version DESC", "ttt", zName, zProject, zDigest);
  *piNext = 0;
  while( pStmt && lx_step(x, pStmt)==SQLITE_ROW ){
    if( nRow++==0 ){
      const char *zOldType = (const char*)sqlite3_column_text(pStmt, 1);
      if( zOldType && strcmp(zOldType, zType)!=0 ){
        lx_fail(x, "artifact '%s' in project '%s' has type '%s', not '%s'",
                zName, zProject, zOldType, zType);
        break;
      }
      if( sqlite3_column_int64(pStmt, 0)==LINEAGE_INT64_MAX ){
        lx_fail(x, "artifact '%s' in project '%s' has version v%lld: there "
                   "is no next version number", zName, zProject,
                LINEAGE_INT64_MAX);
        break;
      }
      *piNext = sqlite3_column_int64(pStmt, 0) + 1;
    }
    if( sqlite3_column_int(pStmt, 2) ){
      if( sqlite3_column_int(pStmt, 3) ) iSame = sqlite3_column_int64(pStmt, 4);
      break;
    }
  }
  lx_finalize(x, pStmt);
  return x->rc ? 0 : iSame;
}

/* In replicated mode: the newest live version of the artifact that run
** iRun logged with digest zDigest, or 0. Returned as it is, it makes a
** retry of a call whose acknowledgement was lost change nothing. */
static sqlite3_int64 logged_before(Lx *x, sqlite3_int64 iRun,
                                   const char *zName, const char *zProject,
                                   const char *zDigest){
  return lx_int(x, 0, "SELECT n.node_id FROM main.lineage_edge e "
      "JOIN main.lineage_node n ON n.node_id=e.dst "
      "JOIN main.lineage_version v ON v.node_id=n.node_id "
      "WHERE e.src=?1 AND n.name=?2 AND n.project=?3 AND n.kind='artifact' "
      "AND n.state='committed' AND v.digest=?4 ORDER BY n.version DESC "
      "LIMIT 1", "ittt", iRun, zName, zProject, zDigest);
}

/* log_artifact(run, name, type [, files [, aliases [, options]]]) */
void lineage_fn_log_artifact(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  Lx x;
  LineageNode run, ver;
  LineageManifest m;
  const char *zName = lx_arg_text(argv[1]);
  const char *zType = lx_arg_text(argv[2]);
  sqlite3_value *pFiles = argc>3 ? argv[3] : 0;
  sqlite3_value *pAliases = argc>4 ? argv[4] : 0;
  sqlite3_value *pOpts = argc>5 ? argv[5] : 0;
  const char *zProject = LINEAGE_DEFAULT_PROJECT;
  char *zDesc = 0, *zMeta = 0, *zTags = 0, *zCreated = 0;
  char *zRef = 0;
  sqlite3_int64 iNewest = 0, iNext = 0, iRetry = 0;
  int i;

  memset(&run, 0, sizeof(run));
  memset(&ver, 0, sizeof(ver));
  memset(&m, 0, sizeof(m));
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "log_artifact", argc, argv);
  if( zName && strchr(zName, '/') ){
    lx_fail(&x, "log_artifact takes a plain name, not '%s': it logs into the "
                "run's project", zName);
  }
  lineage_check_name(&x, zName);
  lineage_check_type(&x, zType);
  check_aliases(&x, pAliases);
  check_log_options(&x, pOpts, &zDesc, &zMeta, &zTags, &zCreated);
  lineage_manifest_load(&x, pFiles, 1, &m);

  lx_begin(&x, "log_artifact");
  lineage_schema_ensure(&x);
  if( sqlite3_value_type(argv[0])!=SQLITE_NULL ){
    lineage_resolve_run(&x, lx_arg_text(argv[0]), &run);
    if( x.rc==SQLITE_OK ) zProject = run.zProject;
  }
  iNewest = artifact_state(&x, zName, zProject, zType, m.zDigest, &iNext);
  if( iNewest==0 && run.id && lineage_replicated(x.conn) ){
    iRetry = logged_before(&x, run.id, zName, zProject, m.zDigest);
  }
  if( iRetry ){
    lineage_node_load(&x, iRetry, &ver);
  }else if( iNewest ){
    lineage_node_load(&x, iNewest, &ver);
    if( run.id ){
      lx_exec(&x, "UPDATE main.lineage_version SET logged_by=?1 WHERE node_id=?2 "
                  "AND logged_by IS NULL", "ii", run.id, ver.id);
    }
  }else if( x.rc==SQLITE_OK ){
    lx_exec(&x, "INSERT INTO main.lineage_node(kind, project, name, version, type, "
                "state) VALUES ('artifact', ?1, ?2, ?3, ?4, 'committed')",
            "ttit", zProject, zName, iNext, zType);
    ver.id = sqlite3_last_insert_rowid(x.db);
    strcpy(ver.zKind, "artifact");
    ver.version = iNext;
    ver.zProject = lx_strdup(&x, zProject);
    ver.zName = lx_strdup(&x, zName);
    ver.zType = lx_strdup(&x, zType);
    ver.zState = lx_strdup(&x, "committed");
    lx_exec(&x, "INSERT INTO main.lineage_version(node_id, digest, size, "
                "file_count, description, metadata, tags, created_at, "
                "logged_by) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,NULLIF(?9,0))",
            "itiitttti", ver.id, m.zDigest, m.size, (sqlite3_int64)m.n,
            zDesc, zMeta, zTags, zCreated, run.id);
    for(i=0; x.rc==SQLITE_OK && i<m.n; i++){
      LineageEntry *e = &m.a[i];
      if( e->size>=0 ){
        lx_exec(&x, "INSERT INTO main.lineage_file(node_id, path, digest, size, "
                    "ref_uri) VALUES (?1,?2,?3,?4,?5)", "ittit",
                ver.id, e->zPath, e->zDigest, e->size, e->zRefUri);
      }else{
        lx_exec(&x, "INSERT INTO main.lineage_file(node_id, path, digest, size, "
                    "ref_uri) VALUES (?1,?2,?3,NULL,?4)", "ittt",
                ver.id, e->zPath, e->zDigest, e->zRefUri);
      }
    }
  }
  if( !iRetry ) aliases_apply(&x, &ver, pAliases, zCreated);
  if( run.id && !iRetry ){
    lx_exec(&x, "INSERT OR IGNORE INTO main.lineage_edge(src, dst, created_at) "
                "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ','now'))", "ii",
            run.id, ver.id);
  }
  if( x.rc==SQLITE_OK ){
    zRef = lineage_version_ref(&ver, 0);
    if( zRef==0 ) x.rc = SQLITE_NOMEM;
  }
  lineage_adj_sync(&x);
  if( lx_end(&x, ctx)==SQLITE_OK ){
    /* Handed over, not copied: nothing may fail after the commit. */
    sqlite3_result_text(ctx, zRef, -1, sqlite3_free);
    zRef = 0;
  }
  sqlite3_free(zRef);
  sqlite3_free(zDesc); sqlite3_free(zMeta); sqlite3_free(zTags);
  sqlite3_free(zCreated);
  lineage_manifest_clear(&m);
  lineage_node_clear(&run);
  lineage_node_clear(&ver);
}

/* Resolve the version an alias function works on; it must not be deleted. */
static void resolve_live(Lx *x, sqlite3_value *pRef, LineageNode *p){
  lineage_resolve_version(x, lx_arg_text(pRef), 0, p);
  if( x->rc==SQLITE_OK && strcmp(p->zState, "deleted")==0 ){
    lx_fail(x, "artifact '%s:v%lld' in project '%s' is deleted", p->zName,
            p->version, p->zProject);
  }
}

static void check_alias_arg(Lx *x, const char *zAlias){
  lineage_check_alias(x, zAlias);
  if( x->rc==SQLITE_OK && strcmp(zAlias, "latest")==0 ){
    lx_fail(x, "alias 'latest' is kept by the extension: it always names "
               "the newest version that is not deleted");
  }
}

/* Finish an alias/delete function: result is the version's reference,
** qualified when the argument was. */
static void result_ref(Lx *x, sqlite3_context *ctx, sqlite3_value *pRef,
                       const LineageNode *p){
  char *zRef = 0;
  if( x->rc==SQLITE_OK ){
    zRef = lineage_version_ref(p, ref_is_qualified(lx_arg_text(pRef)));
    if( zRef==0 ) x->rc = SQLITE_NOMEM;
  }
  if( lx_end(x, ctx)==SQLITE_OK ){
    /* Handed over, not copied: nothing may fail after the commit. */
    sqlite3_result_text(ctx, zRef, -1, sqlite3_free);
    zRef = 0;
  }
  sqlite3_free(zRef);
}

/* artifact_alias(artifact, alias) */
void lineage_fn_artifact_alias(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  Lx x;
  LineageNode ver;
  const char *zAlias = lx_arg_text(argv[1]);
  char *zNow;
  memset(&ver, 0, sizeof(ver));
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "artifact_alias", argc, argv);
  check_alias_arg(&x, zAlias);
  zNow = lx_time(&x, 0, "now");
  lx_begin(&x, "artifact_alias");
  lineage_schema_check(&x);
  resolve_live(&x, argv[0], &ver);
  lineage_alias_set(&x, &ver, zAlias, "alias", zNow);
  result_ref(&x, ctx, argv[0], &ver);
  lineage_node_clear(&ver);
  sqlite3_free(zNow);
}

/* artifact_unalias(artifact, alias) */
void lineage_fn_artifact_unalias(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  Lx x;
  LineageNode ver;
  const char *zAlias = lx_arg_text(argv[1]);
  char *zNow;
  memset(&ver, 0, sizeof(ver));
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "artifact_unalias", argc, argv);
  check_alias_arg(&x, zAlias);
  zNow = lx_time(&x, 0, "now");
  lx_begin(&x, "artifact_unalias");
  lineage_schema_check(&x);
  lineage_resolve_version(&x, lx_arg_text(argv[0]), 0, &ver);
  lineage_alias_remove(&x, &ver, zAlias, "unalias", zNow);
  if( x.rc==SQLITE_OK && sqlite3_changes(x.db)==0 ){
    char *zList = lx_text(&x, "SELECT group_concat(alias, ', ') FROM (SELECT "
                          "alias FROM main.lineage_alias WHERE node_id=?1 ORDER BY "
                          "alias)", "i", ver.id);
    lx_fail(&x, "'%s:v%lld' has no alias '%s' (aliases: %s)", ver.zName,
            ver.version, zAlias, zList ? zList : "none");
    sqlite3_free(zList);
  }
  result_ref(&x, ctx, argv[0], &ver);
  lineage_node_clear(&ver);
  sqlite3_free(zNow);
}

/* The delete_aliases argument: 0/1 or true/false (SQL's TRUE and FALSE
** are 1 and 0); anything else fails x. */
static int delete_aliases_arg(Lx *x, sqlite3_value *p){
  const char *z;
  if( p==0 ) return 0;
  if( sqlite3_value_type(p)==SQLITE_INTEGER ){
    sqlite3_int64 v = sqlite3_value_int64(p);
    if( v==0 || v==1 ) return (int)v;
  }else if( sqlite3_value_type(p)==SQLITE_TEXT ){
    z = (const char*)sqlite3_value_text(p);
    if( z && strcmp(z, "true")==0 ) return 1;
    if( z && strcmp(z, "false")==0 ) return 0;
  }
  lx_fail(x, "delete_aliases must be 0, 1, true or false, not '%s'",
          lx_arg_text(p));
  return 0;
}

/* artifact_delete(artifact [, delete_aliases]): W&B refuses to delete a
** version that holds any alias, latest included, unless delete_aliases. */
void lineage_fn_artifact_delete(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  Lx x;
  LineageNode ver;
  int bDeleteAliases;
  char *zNow;
  memset(&ver, 0, sizeof(ver));
  lx_init_fn(&x, ctx);
  lx_check_args(&x, "artifact_delete", argc, argv);
  bDeleteAliases = delete_aliases_arg(&x, argc>1 ? argv[1] : 0);
  zNow = lx_time(&x, 0, "now");
  lx_begin(&x, "artifact_delete");
  lineage_schema_check(&x);
  resolve_live(&x, argv[0], &ver);
  if( x.rc==SQLITE_OK && !bDeleteAliases ){
    char *zList = lx_text(&x, "SELECT group_concat(alias, ', ') FROM (SELECT "
                          "alias FROM main.lineage_alias WHERE node_id=?1 "
                          "ORDER BY alias)", "i", ver.id);
    if( zList ){
      lx_fail(&x, "'%s:v%lld' still has aliases %s: call "
                  "artifact_delete('%s:v%lld', 1) to delete it with them",
              ver.zName, ver.version, zList, ver.zName, ver.version);
    }
    sqlite3_free(zList);
  }
  lineage_alias_remove(&x, &ver, 0, "delete", zNow);
  lx_exec(&x, "UPDATE main.lineage_node SET state='deleted' WHERE node_id=?1",
          "i", ver.id);
  lx_exec(&x, "UPDATE main.lineage_version SET deleted_at=?2 WHERE node_id=?1",
          "it", ver.id, zNow);
  lineage_latest_refresh(&x, &ver, zNow);
  result_ref(&x, ctx, argv[0], &ver);
  lineage_node_clear(&ver);
  sqlite3_free(zNow);
}
