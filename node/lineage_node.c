/*
** lineage_node.c: lineage-node, one member of a replicated lineage cluster:
** a dqlite node whose every SQLite connection has sqlite-lineage in
** replicated mode.
**
**   lineage-node --id 1 --address 127.0.0.1:29001 --data /var/lib/l1
**   lineage-node --id 2 --address 127.0.0.1:29002 --data /var/lib/l2 \
**                --join 127.0.0.1:29001
**
** How it works: the extension is linked in statically (lineage_static) and
** registered with sqlite3_auto_extension before the dqlite node is created,
** through the entry point that turns replicated mode on, so that no client
** connection is ever without it. Node 1 with an empty data directory
** bootstraps a new cluster (dqlite's rule); any other new node asks the
** cluster, with --join, to add it and make it a voter (join.c). A node that
** restarts is given the same --id, --address and --data, and no --join: its
** data directory holds its place in the cluster.
**
** SIGPIPE is ignored: a write to a peer that died would otherwise kill the
** node, and with it the next peer's connection, and so on. SIGTERM and
** SIGINT stop the node cleanly: the signals are blocked before dqlite's
** threads start (so they inherit the mask) and taken by sigwait() here.
*/
#include "join.h"
#include <dqlite.h>
#include <sqlite3.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The largest --latency-ms taken: dqlite derives its heartbeat and election
** timeouts from it, and a minute already means a cluster that never elects
** in practice. */
#define NODE_MAX_LATENCY_MS 60000

/* sqlite-lineage's entry point that also turns replicated mode on. */
int sqlite3_lineage_replicated_init(sqlite3*, char**,
                                    const sqlite3_api_routines*);

static const char zUsage[] =
  "usage: lineage-node --id N --address HOST:PORT --data DIR\n"
  "                    [--join HOST:PORT] [--latency-ms MS]\n"
  "\n"
  "One member of a replicated lineage cluster (dqlite, Raft over SQLite's\n"
  "WAL pages) with sqlite-lineage in replicated mode on every connection.\n"
  "\n"
  "  --id N             this node's id (1, 2, ...); node 1 with an empty\n"
  "                     data directory starts a new cluster\n"
  "  --address H:P      where clients and the other nodes reach this node\n"
  "  --data DIR         the node's Raft log and snapshots (created if absent)\n"
  "  --join H:P         a member of the cluster to join: the node asks it to\n"
  "                     be added and made a voter (first start only)\n"
  "  --latency-ms MS    the network's one-way latency; dqlite's heartbeat\n"
  "                     and election timeouts follow from it (20 on one\n"
  "                     machine elects a new leader in under a second)\n"
  "  --help             this text\n"
  "\n"
  "A restarted node is given the same --id, --address and --data, without\n"
  "--join. SIGTERM or SIGINT stops it cleanly.\n";

static void die_usage(const char *zFmt, const char *zArg){
  fprintf(stderr, "lineage-node: ");
  fprintf(stderr, zFmt, zArg);
  fprintf(stderr, "\n(lineage-node --help for usage)\n");
  exit(2);
}

/* A decimal number in [lo, hi], or exit naming the option. */
static unsigned long long parse_number(const char *z, const char *zOpt,
                                       unsigned long long lo,
                                       unsigned long long hi){
  char *zEnd = 0;
  unsigned long long v;
  errno = 0;
  v = strtoull(z, &zEnd, 10);
  if( z[0]<'0' || z[0]>'9' || *zEnd || errno || v<lo || v>hi ){
    char zMsg[160];
    snprintf(zMsg, sizeof(zMsg), "%s takes a number from %llu to %llu, not "
             "'%%.40s'", zOpt, lo, hi);
    die_usage(zMsg, z);
  }
  return v;
}

/* "host:port" with a port from 1 to 65535. */
static void check_address(const char *z, const char *zOpt){
  const char *zColon = strrchr(z, ':');
  char zMsg[128];
  snprintf(zMsg, sizeof(zMsg), "%s takes HOST:PORT, not '%%.80s'", zOpt);
  if( zColon==0 || zColon==z ) die_usage(zMsg, z);
  parse_number(zColon+1, zOpt, 1, 65535);
}

int main(int argc, char **argv){
  static const struct option aOpt[] = {
    {"id", required_argument, 0, 'i'},
    {"address", required_argument, 0, 'a'},
    {"data", required_argument, 0, 'd'},
    {"join", required_argument, 0, 'j'},
    {"latency-ms", required_argument, 0, 'l'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}
  };
  unsigned long long id = 0, latency = 0;
  const char *zAddr = 0, *zData = 0, *zJoin = 0;
  dqlite_node *node = 0;
  sigset_t stop;
  int c, sig, rc;

  opterr = 0;
  while( (c = getopt_long(argc, argv, "", aOpt, 0))!=-1 ){
    switch( c ){
      case 'i': id = parse_number(optarg, "--id", 1, 1ULL<<62); break;
      case 'a': check_address(optarg, "--address"); zAddr = optarg; break;
      case 'd': zData = optarg; break;
      case 'j': check_address(optarg, "--join"); zJoin = optarg; break;
      case 'l':
        latency = parse_number(optarg, "--latency-ms", 1, NODE_MAX_LATENCY_MS);
        break;
      case 'h': fputs(zUsage, stdout); return 0;
      default: die_usage("unknown option or missing value: %s", argv[optind-1]);
    }
  }
  if( optind<argc ) die_usage("unexpected argument '%s'", argv[optind]);
  if( id==0 ) die_usage("%s", "--id is required");
  if( zAddr==0 ) die_usage("%s", "--address is required");
  if( zData==0 || zData[0]==0 ) die_usage("%s", "--data is required");
  if( zJoin && strcmp(zJoin, zAddr)==0 ){
    die_usage("--join names this node's own address %s", zAddr);
  }
  if( mkdir(zData, 0755)!=0 && errno!=EEXIST ){
    fprintf(stderr, "lineage-node: cannot create --data %s: %s\n", zData,
            strerror(errno));
    return 1;
  }

  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, 0);

  if( sqlite3_auto_extension((void(*)(void))sqlite3_lineage_replicated_init)
      !=SQLITE_OK ){
    fprintf(stderr, "lineage-node: cannot register sqlite-lineage\n");
    return 1;
  }
  rc = dqlite_node_create(id, zAddr, zData, &node);
  if( rc==0 ) rc = dqlite_node_set_bind_address(node, zAddr);
  if( rc==0 && latency ) rc = dqlite_node_set_network_latency_ms(node,
                                                    (unsigned)latency);
  if( rc==0 ) rc = dqlite_node_start(node);
  if( rc!=0 ){
    fprintf(stderr, "lineage-node: cannot start node %llu at %s: %s\n", id,
            zAddr, node ? dqlite_node_errmsg(node) : "out of memory");
    if( node ) dqlite_node_destroy(node);
    return 1;
  }
  if( zJoin ){
    char *zErr = 0;
    if( node_join(zJoin, id, zAddr, &zErr)!=0 ){
      fprintf(stderr, "lineage-node: node %llu could not join %s: %s\n", id,
              zJoin, zErr ? zErr : "out of memory");
      free(zErr);
      dqlite_node_stop(node);
      dqlite_node_destroy(node);
      return 1;
    }
  }
  printf("lineage-node: node %llu serving at %s (data %s, sqlite-lineage %s,"
         " replicated mode)\n", id, zAddr, zData, LINEAGE_VERSION);
  fflush(stdout);

  while( sigwait(&stop, &sig)!=0 ){}
  rc = dqlite_node_stop(node);
  dqlite_node_destroy(node);
  printf("lineage-node: node %llu stopped (%s)\n", id,
         sig==SIGTERM ? "SIGTERM" : "SIGINT");
  return rc==0 ? 0 : 1;
}
