/*
** join.h: joining a dqlite cluster (join.c).
*/
#ifndef LINEAGE_NODE_JOIN_H
#define LINEAGE_NODE_JOIN_H

/* Make node id (reachable at zAddr) a voting member of the cluster that
** zJoin ("host:port") belongs to: 0 when it is one, -1 when it could not be
** made one in time, with the last reason in *pzErr (malloc'd). */
int node_join(const char *zJoin, unsigned long long id, const char *zAddr,
              char **pzErr);

#endif
