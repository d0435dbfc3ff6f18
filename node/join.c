/*
** join.c: how lineage-node joins a cluster, through dqlite's client wire
** protocol (the protocol every dqlite client speaks; version 1).
**
**   rc = node_join("127.0.0.1:29001", 2, "127.0.0.1:29002", &zErr);
**
** How it works: connect to the given member, ask it who the leader is
** (LEADER), connect to the leader, look the node up in the configuration
** (CLUSTER), add it (ADD) unless it is there, and make it a voter (ASSIGN)
** unless it is one. Every step is retried, on any member it learns of, until
** JOIN_TIMEOUT_MS has passed: right after a node starts or a leader dies
** there may be no leader for a while.
**
** A message is an 8-byte header (the body's length in 8-byte words as a
** little-endian uint32, the type, a schema byte, two reserved bytes) and the
** body; integers are little-endian uint64, text is NUL-terminated and padded
** with zeros to a multiple of 8 bytes.
*/
#include "join.h"
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How long a join keeps trying: an election takes a few seconds with
** dqlite's default timeouts (about 5 s measured on loopback). */
#define JOIN_TIMEOUT_MS 30000
/* Pause between two attempts. */
#define JOIN_RETRY_MS 200
/* One request's round trip, connecting included. */
#define JOIN_IO_TIMEOUT_MS 5000
/* The largest response read: a cluster listing of a few nodes is < 1 KiB. */
#define JOIN_MAX_BODY (1 << 20)

#define REQUEST_LEADER   0
#define REQUEST_ADD      12
#define REQUEST_ASSIGN   13
#define REQUEST_CLUSTER  16
#define RESPONSE_FAILURE 0
#define RESPONSE_SERVER  1
#define RESPONSE_SERVERS 3
#define RESPONSE_EMPTY   8
#define ROLE_VOTER       0
#define CLUSTER_FORMAT_ROLES 1  /* CLUSTER: each node with its role */

typedef struct Buf { unsigned char *a; size_t n, nAlloc; } Buf;

static int buf_grow(Buf *b, size_t n){
  if( b->n + n > b->nAlloc ){
    size_t nNew = (b->nAlloc ? b->nAlloc*2 : 64) + n;
    unsigned char *a = realloc(b->a, nNew);
    if( a==0 ) return -1;
    b->a = a;
    b->nAlloc = nNew;
  }
  return 0;
}
static void put_u64(Buf *b, uint64_t v){
  int i;
  if( buf_grow(b, 8) ) return;
  for(i=0; i<8; i++) b->a[b->n++] = (unsigned char)(v >> (8*i));
}
static void put_text(Buf *b, const char *z){
  size_t n = strlen(z) + 1, nPad = (n + 7) & ~(size_t)7;
  if( buf_grow(b, nPad) ) return;
  memset(b->a + b->n, 0, nPad);
  memcpy(b->a + b->n, z, n - 1);
  b->n += nPad;
}

/* Reading a response body: a cursor that fails instead of overrunning. */
typedef struct Cur { const unsigned char *a; size_t n, i; int bad; } Cur;
static uint64_t get_u64(Cur *c){
  uint64_t v = 0;
  int k;
  if( c->bad || c->i + 8 > c->n ){ c->bad = 1; return 0; }
  for(k=0; k<8; k++) v |= (uint64_t)c->a[c->i+k] << (8*k);
  c->i += 8;
  return v;
}
static const char *get_text(Cur *c){
  const unsigned char *z;
  size_t n;
  if( c->bad || c->i >= c->n ){ c->bad = 1; return ""; }
  z = c->a + c->i;
  for(n=0; c->i + n < c->n && z[n]; n++){}
  if( c->i + n >= c->n ){ c->bad = 1; return ""; }
  c->i += (n + 1 + 7) & ~(size_t)7;
  if( c->i > c->n ){ c->bad = 1; return ""; }
  return (const char*)z;
}

static long now_ms(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec*1000 + t.tv_nsec/1000000;
}

static void set_err(char **pzErr, const char *zFmt, ...){
  va_list ap;
  char buf[512];
  va_start(ap, zFmt);
  vsnprintf(buf, sizeof(buf), zFmt, ap);
  va_end(ap);
  free(*pzErr);
  *pzErr = strdup(buf);
}

/* Wait until fd can be read (bRead) or written, before deadline. */
static int wait_fd(int fd, int bRead, long deadline){
  struct pollfd p;
  long left = deadline - now_ms();
  if( left<=0 ) return -1;
  p.fd = fd;
  p.events = bRead ? POLLIN : POLLOUT;
  return poll(&p, 1, (int)left)==1 ? 0 : -1;
}

static int write_all(int fd, const unsigned char *a, size_t n, long deadline){
  while( n>0 ){
    ssize_t k;
    if( wait_fd(fd, 0, deadline) ) return -1;
    k = send(fd, a, n, MSG_NOSIGNAL);
    if( k<0 && (errno==EINTR || errno==EAGAIN) ) continue;
    if( k<=0 ) return -1;
    a += k; n -= (size_t)k;
  }
  return 0;
}
static int read_all(int fd, unsigned char *a, size_t n, long deadline){
  while( n>0 ){
    ssize_t k;
    if( wait_fd(fd, 1, deadline) ) return -1;
    k = recv(fd, a, n, 0);
    if( k<0 && (errno==EINTR || errno==EAGAIN) ) continue;
    if( k<=0 ) return -1;
    a += k; n -= (size_t)k;
  }
  return 0;
}

/* 1 when the non-blocking connect() that returned rc has completed
** successfully by the deadline. */
static int connected(int fd, int rc, long deadline){
  int err = 0;
  socklen_t n = sizeof(err);
  if( rc==0 ) return 1;
  if( errno!=EINPROGRESS || wait_fd(fd, 0, deadline) ) return 0;
  return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n)==0 && err==0;
}

/* Connect to "host:port" and send the protocol version; -1 on failure. */
static int wire_connect(const char *zAddr, long deadline){
  char zHost[256];
  const char *zColon = strrchr(zAddr, ':');
  struct addrinfo hints, *res = 0;
  unsigned char aVersion[8] = {1, 0, 0, 0, 0, 0, 0, 0};
  int fd = -1;
  if( zColon==0 || (size_t)(zColon - zAddr) >= sizeof(zHost) ) return -1;
  memcpy(zHost, zAddr, (size_t)(zColon - zAddr));
  zHost[zColon - zAddr] = 0;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if( getaddrinfo(zHost, zColon+1, &hints, &res)!=0 ) return -1;
  /* Non-blocking, so that connecting waits no longer than the deadline
  ** (a blocking connect to an unreachable host waits minutes). */
  fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK,
              res->ai_protocol);
  if( fd>=0 && !connected(fd, connect(fd, res->ai_addr, res->ai_addrlen),
                          deadline) ){
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if( fd>=0 && write_all(fd, aVersion, 8, deadline) ){
    close(fd);
    fd = -1;
  }
  return fd;
}

/* Send request eType with body pReq; read the response into *pBody (the
** caller frees it). Returns the response type, or -1 on an I/O failure. */
static int wire_call(int fd, int eType, Buf *pReq, Buf *pBody){
  unsigned char aHdr[8];
  long deadline = now_ms() + JOIN_IO_TIMEOUT_MS;
  uint32_t nWord = (uint32_t)(pReq->n / 8);
  size_t nBody;
  int i;
  for(i=0; i<4; i++) aHdr[i] = (unsigned char)(nWord >> (8*i));
  aHdr[4] = (unsigned char)eType;
  aHdr[5] = aHdr[6] = aHdr[7] = 0;
  if( write_all(fd, aHdr, 8, deadline)
   || write_all(fd, pReq->a, pReq->n, deadline)
   || read_all(fd, aHdr, 8, deadline) ) return -1;
  nBody = 8 * ((size_t)aHdr[0] | (size_t)aHdr[1]<<8 | (size_t)aHdr[2]<<16
               | (size_t)aHdr[3]<<24);
  if( nBody > JOIN_MAX_BODY ) return -1;
  pBody->n = 0;
  if( buf_grow(pBody, nBody + 8) ) return -1;
  if( read_all(fd, pBody->a, nBody, deadline) ) return -1;
  pBody->n = nBody;
  return aHdr[4];
}

/* A FAILURE response's message, for errors. */
static const char *failure_text(Buf *pBody){
  Cur c = {pBody->a, pBody->n, 0, 0};
  const char *z;
  get_u64(&c);
  z = get_text(&c);
  return c.bad ? "(unreadable failure response)" : z;
}

/* A request answered by EMPTY when it works; else -1, *pzErr saying what
** zWhat failed on. */
static int admin_call(int fd, int eType, Buf *pReq, Buf *pBody,
                      const char *zWhat, char **pzErr){
  int eResp = wire_call(fd, eType, pReq, pBody);
  if( eResp==RESPONSE_EMPTY ) return 0;
  set_err(pzErr, "%s: %s", zWhat,
          eResp==RESPONSE_FAILURE ? failure_text(pBody) : "no answer");
  return -1;
}

/* One attempt at the whole join through zVia. 0: done; 1: try again
** (*pzErr says why); the leader's address goes to zLeader when known. */
static int join_once(const char *zVia, uint64_t id, const char *zAddr,
                     char *zLeader, size_t nLeader, char **pzErr){
  Buf req = {0, 0, 0}, body = {0, 0, 0};
  int fd, eType, rc = 1;
  int bMember = 0, bVoter = 0;
  long deadline = now_ms() + JOIN_IO_TIMEOUT_MS;

  fd = wire_connect(zVia, deadline);
  if( fd<0 ){ set_err(pzErr, "cannot connect to %s", zVia); goto done; }
  put_u64(&req, 0);
  eType = wire_call(fd, REQUEST_LEADER, &req, &body);
  if( eType!=RESPONSE_SERVER ){
    set_err(pzErr, "%s did not say who the leader is", zVia);
    goto done;
  }else{
    Cur c = {body.a, body.n, 0, 0};
    const char *z;
    get_u64(&c);
    z = get_text(&c);
    if( c.bad || z[0]==0 ){
      set_err(pzErr, "%s knows no leader yet", zVia);
      goto done;
    }
    if( strcmp(z, zVia)!=0 ){
      snprintf(zLeader, nLeader, "%s", z);
      set_err(pzErr, "the leader is %s", z);
      goto done;
    }
  }
  /* zVia is the leader: is the node in the configuration already? */
  req.n = 0;
  put_u64(&req, CLUSTER_FORMAT_ROLES);
  eType = wire_call(fd, REQUEST_CLUSTER, &req, &body);
  if( eType!=RESPONSE_SERVERS ){
    set_err(pzErr, "%s did not list the cluster: %s", zVia,
            eType==RESPONSE_FAILURE ? failure_text(&body) : "no answer");
    goto done;
  }else{
    Cur c = {body.a, body.n, 0, 0};
    uint64_t i, n = get_u64(&c);
    for(i=0; i<n && !c.bad; i++){
      uint64_t nodeId = get_u64(&c);
      get_text(&c);
      uint64_t role = get_u64(&c);
      if( nodeId==id ){ bMember = 1; bVoter = role==ROLE_VOTER; }
    }
    if( c.bad ){ set_err(pzErr, "bad cluster listing from %s", zVia); goto done; }
  }
  if( !bMember ){
    req.n = 0;
    put_u64(&req, id);
    put_text(&req, zAddr);
    if( admin_call(fd, REQUEST_ADD, &req, &body, "adding the node", pzErr) ){
      goto done;
    }
  }
  if( !bVoter ){
    req.n = 0;
    put_u64(&req, id);
    put_u64(&req, ROLE_VOTER);
    if( admin_call(fd, REQUEST_ASSIGN, &req, &body, "making the node a voter",
                   pzErr) ){
      goto done;
    }
  }
  rc = 0;
done:
  if( fd>=0 ) close(fd);
  free(req.a);
  free(body.a);
  return rc;
}

int node_join(const char *zJoin, unsigned long long id, const char *zAddr,
              char **pzErr){
  long deadline = now_ms() + JOIN_TIMEOUT_MS;
  char zLeader[256] = "";
  *pzErr = 0;
  while( 1 ){
    /* Through the leader when one was named, else the given member. */
    const char *zVia = zLeader[0] ? zLeader : zJoin;
    char zNext[256] = "";
    if( join_once(zVia, id, zAddr, zNext, sizeof(zNext), pzErr)==0 ){
      free(*pzErr);
      *pzErr = 0;
      return 0;
    }
    memcpy(zLeader, zNext, sizeof(zLeader));
    if( now_ms() > deadline ) return -1;
    if( zLeader[0]==0 ) usleep(JOIN_RETRY_MS * 1000);
  }
}
