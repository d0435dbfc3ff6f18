/*
** history.c: aliases and their history.
**
** Every writer that gives, moves or takes away an alias goes through here,
** so lineage_alias (which version an alias names now) and
** lineage_alias_assignment (every stretch of time an alias named a version,
** shown by the view lineage_alias_history) always agree: the assignments
** still held (removed_at IS NULL) are exactly the rows of lineage_alias.
** An assignment says what made it (how: log, alias, delete) and, once it
** ends, what ended it (removed_how: moved, unalias, delete) and when. The
** time is the writer's: log_artifact's created_at, otherwise now.
*/
#include "lineage.h"
#include <string.h>

void lineage_alias_set(Lx *x, const LineageNode *p, const char *zAlias,
                       const char *zHow, const char *zAt){
  sqlite3_int64 iHolder;
  if( x->rc ) return;
  iHolder = lx_int(x, 0, "SELECT node_id FROM main.lineage_alias WHERE "
                         "project=?1 AND name=?2 AND alias=?3", "ttt",
                   p->zProject, p->zName, zAlias);
  if( x->rc || iHolder==p->id ) return;
  if( iHolder ){
    lx_exec(x, "UPDATE main.lineage_alias_assignment SET removed_at=?4, "
               "removed_how='moved' WHERE project=?1 AND name=?2 AND "
               "alias=?3 AND removed_at IS NULL", "tttt",
            p->zProject, p->zName, zAlias, zAt);
  }
  lx_exec(x, "INSERT INTO main.lineage_alias_assignment(project, name, alias, "
             "node_id, assigned_at, how) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
          "tttitt", p->zProject, p->zName, zAlias, p->id, zAt, zHow);
  lx_exec(x, "INSERT INTO main.lineage_alias(project, name, alias, node_id) "
             "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(project, name, alias) "
             "DO UPDATE SET node_id=excluded.node_id", "ttti",
          p->zProject, p->zName, zAlias, p->id);
}

void lineage_alias_remove(Lx *x, const LineageNode *p, const char *zAlias,
                          const char *zHow, const char *zAt){
  if( zAlias ){
    lx_exec(x, "UPDATE main.lineage_alias_assignment SET removed_at=?5, "
               "removed_how=?6 WHERE project=?1 AND name=?2 AND alias=?3 "
               "AND node_id=?4 AND removed_at IS NULL", "tttitt",
            p->zProject, p->zName, zAlias, p->id, zAt, zHow);
    lx_exec(x, "DELETE FROM main.lineage_alias WHERE project=?1 AND name=?2 "
               "AND alias=?3 AND node_id=?4", "ttti",
            p->zProject, p->zName, zAlias, p->id);
  }else{
    lx_exec(x, "UPDATE main.lineage_alias_assignment SET removed_at=?4, "
               "removed_how=?5 WHERE project=?1 AND name=?2 AND node_id=?3 "
               "AND removed_at IS NULL", "ttitt",
            p->zProject, p->zName, p->id, zAt, zHow);
    lx_exec(x, "DELETE FROM main.lineage_alias WHERE node_id=?1", "i", p->id);
  }
}

void lineage_latest_refresh(Lx *x, const LineageNode *p, const char *zAt){
  sqlite3_int64 iNewest = lx_int(x, 0, "SELECT node_id FROM main.lineage_node "
      "WHERE name=?2 AND project=?1 AND kind='artifact' AND "
      "state='committed' ORDER BY version DESC LIMIT 1", "tt",
      p->zProject, p->zName);
  LineageNode newest;
  if( x->rc ) return;
  if( iNewest==0 ){
    /* Every version is deleted: no latest (its holder lost it already). */
    return;
  }
  memset(&newest, 0, sizeof(newest));
  newest.id = iNewest;
  newest.zProject = p->zProject;
  newest.zName = p->zName;
  lineage_alias_set(x, &newest, "latest", "delete", zAt);
}
