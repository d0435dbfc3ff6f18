/*
** layout.c: where the pictures put each box, a layered (Sugiyama) drawing.
**
**   LineageLayoutBox a[n];    (rank, w, h of each box; x, y come out)
**   lineage_layout(a, n, aEdge, nEdge, bTB, &width, &height);
**
** Boxes sit in ranks (the levels, counted from the lowest): rank r is
** column r left to right, or row r top to bottom with bTB. Inside a rank
** the order is chosen to keep edge crossings low, then coordinates are
** chosen so that no two boxes overlap and edges run as straight as they can.
**
** How it works (the recipe of Gansner et al., "A technique for drawing
** directed graphs", 1993, as Graphviz's dot does it):
**  1. An edge that spans several ranks is split by one virtual node per rank
**     it crosses, so every segment joins two adjacent ranks.
**  2. Ordering: starting from the input order (breadth-first from the start:
**     already a good guess), up to LAYOUT_MAX_ITER iterations, each a sweep
**     (down the ranks, each rank sorted by the weighted median of its
**     neighbours' positions in the rank before; then up, by the rank after)
**     followed by "transpose": adjacent nodes of a rank are swapped while a
**     swap lowers the crossings of their edges. The ordering with the fewest
**     crossings (counted rank pair by rank pair with a Fenwick tree, the
**     accumulator of Barth, Juenger and Mutzel) is kept; the loop stops
**     early after LAYOUT_MAX_STALE iterations without a better one, and
**     drawings with very many virtual nodes get fewer (LAYOUT_WORK).
**  3. Coordinates: along the ranks, each rank is as wide as its widest box
**     plus LAYOUT_RANK_GAP. Across them, a few passes move each node toward
**     the mean of its neighbours, keeping the order and the separation
**     (half of each box plus LAYOUT_NODE_GAP): each pass is one isotonic
**     regression (pool adjacent violators), exact and linear.
** Everything is iterative, with work bounded by O(iterations x segments x
** log nodes); no recursion.
*/
#include "lineage.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

/* dot's own bound on mincross iterations (its "mclimit" 1.0 gives 24). */
#define LAYOUT_MAX_ITER     24
/* The ordering's work budget, in node and segment visits: a drawing of
** nodes + segments = n gets min(LAYOUT_MAX_ITER, LAYOUT_WORK / n)
** iterations, at least LAYOUT_MIN_ITER. 24 iterations of the 5,000-node
** bench graphs (about 20k nodes and segments) fit; the 10k diamond graph,
** whose edges span up to 479 levels (570k virtual nodes), gets the
** minimum: about a second of CPU instead of ten (bench/pictures.sh). */
#define LAYOUT_WORK     2000000
#define LAYOUT_MIN_ITER       2
/* Iterations without fewer crossings before the ordering stops: dot stops
** after 4 such (MinQuit); on the bench graphs later ones found nothing. */
#define LAYOUT_MAX_STALE     4
/* Transpose passes over one rank per iteration: on the bench graphs the
** third pass rarely swaps, and each pass costs the rank's segments. */
#define LAYOUT_TRANSPOSE_PASSES 4
/* Passes of the coordinate balancing: after 8, nodes moved by under a
** pixel on the bench graphs. */
#define LAYOUT_COORD_PASSES  8
/* Gaps in drawing units (the page draws one unit as one CSS pixel). */
#define LAYOUT_RANK_GAP     80   /* between ranks: room for the arrows */
#define LAYOUT_NODE_GAP     16   /* between two boxes of one rank */
#define LAYOUT_VIRTUAL_SIZE 12   /* the room an edge passing a rank takes */
#define LAYOUT_MARGIN       20   /* around the drawing */

/* A node to sort by key, then by its place in the rank. */
typedef struct LayoutKey {
  double key;
  int idx, u;
} LayoutKey;

static int key_cmp(const void *a, const void *b){
  const LayoutKey *x = (const LayoutKey*)a, *y = (const LayoutKey*)b;
  if( x->key!=y->key ) return x->key<y->key ? -1 : 1;
  return x->idx<y->idx ? -1 : x->idx>y->idx;
}

typedef struct Layout {
  int nBox, nAll, nRank;
  int *aRank;          /* nAll: rank of each node (boxes, then virtuals) */
  double *aExt;        /* nAll: size across the ranks */
  double *aPos;        /* nAll: coordinate across the ranks */
  int *aRankStart;     /* nRank+1: rank r is aOrder[aRankStart[r] ..] */
  int *aOrder;         /* nAll: nodes of each rank in order */
  int *aBest;          /* nAll: the best order so far */
  int *aIdx;           /* nAll: index of each node in its rank */
  int *aUpStart, *aUp;     /* CSR: neighbours in the rank before */
  int *aDownStart, *aDown; /* CSR: neighbours in the rank after */
  double *aKey;        /* nAll: scratch */
  int *aTmp;           /* max(nAll, nRank): scratch */
  int *aFen;           /* nAll+1: Fenwick tree */
  int *aNbrA, *aNbrB;  /* scratch: sorted neighbour indexes */
  LayoutKey *aSort;    /* nAll: scratch */
} Layout;

static int int_cmp(const void *a, const void *b){
  int x = *(const int*)a, y = *(const int*)b;
  return x<y ? -1 : x>y;
}

/* Nodes i's neighbours on one side (up or down). */
static int nbr(const Layout *L, int bDown, int i, const int **pa){
  const int *aStart = bDown ? L->aDownStart : L->aUpStart;
  *pa = (bDown ? L->aDown : L->aUp) + aStart[i];
  return aStart[i+1] - aStart[i];
}

/* Crossings between rank r and rank r+1 in the current order. */
static sqlite3_int64 cross_pair(Layout *L, int r){
  int nLow = L->aRankStart[r+2] - L->aRankStart[r+1];
  int i, k, f;
  sqlite3_int64 nCross = 0, nSeen = 0;
  memset(L->aFen, 0, sizeof(int)*(nLow+1));
  for(i=L->aRankStart[r]; i<L->aRankStart[r+1]; i++){
    const int *a;
    int n = nbr(L, 1, L->aOrder[i], &a);
    for(k=0; k<n; k++) L->aNbrA[k] = L->aIdx[a[k]];
    qsort(L->aNbrA, n, sizeof(int), int_cmp);
    for(k=0; k<n; k++){
      /* segments seen so far that end right of this one cross it */
      sqlite3_int64 nLe = 0;
      for(f=L->aNbrA[k]+1; f>0; f-=f&(-f)) nLe += L->aFen[f];
      nCross += nSeen - nLe;
    }
    for(k=0; k<n; k++){
      for(f=L->aNbrA[k]+1; f<=nLow; f+=f&(-f)) L->aFen[f]++;
      nSeen++;
    }
  }
  return nCross;
}

static sqlite3_int64 cross_all(Layout *L){
  sqlite3_int64 n = 0;
  int r;
  for(r=0; r+1<L->nRank; r++) n += cross_pair(L, r);
  return n;
}

static void index_rank(Layout *L, int r){
  int i;
  for(i=L->aRankStart[r]; i<L->aRankStart[r+1]; i++){
    L->aIdx[L->aOrder[i]] = i - L->aRankStart[r];
  }
}

/* Sort rank r by the weighted median of its neighbours' indexes on one
** side (the rank before when bDown is 0). Nodes with no neighbour there
** keep their place; the others fill the remaining places in key order. */
static void median_rank(Layout *L, int r, int bDown){
  int s = L->aRankStart[r], e = L->aRankStart[r+1], i, k, nMove = 0;
  for(i=s; i<e; i++){
    const int *a;
    int u = L->aOrder[i], n = nbr(L, bDown, u, &a);
    double m;
    for(k=0; k<n; k++) L->aNbrA[k] = L->aIdx[a[k]];
    qsort(L->aNbrA, n, sizeof(int), int_cmp);
    if( n==0 ){
      L->aKey[u] = -1.0;
      continue;
    }else if( n%2 ){
      m = L->aNbrA[n/2];
    }else if( n==2 ){
      m = (L->aNbrA[0] + L->aNbrA[1]) / 2.0;
    }else{
      double left = L->aNbrA[n/2-1] - L->aNbrA[0];
      double right = L->aNbrA[n-1] - L->aNbrA[n/2];
      m = left+right>0
        ? (L->aNbrA[n/2-1]*right + L->aNbrA[n/2]*left) / (left+right)
        : (L->aNbrA[n/2-1] + L->aNbrA[n/2]) / 2.0;
    }
    L->aKey[u] = m;
    L->aTmp[nMove++] = u;
  }
  /* the movable nodes by key; ties keep the current order */
  for(i=0; i<nMove; i++){
    L->aSort[i].key = L->aKey[L->aTmp[i]];
    L->aSort[i].idx = L->aIdx[L->aTmp[i]];
    L->aSort[i].u = L->aTmp[i];
  }
  qsort(L->aSort, nMove, sizeof(LayoutKey), key_cmp);
  for(i=0; i<nMove; i++) L->aTmp[i] = L->aSort[i].u;
  for(i=s, k=0; i<e; i++){
    if( L->aKey[L->aOrder[i]]>=0.0 ) L->aOrder[i] = L->aTmp[k++];
  }
  index_rank(L, r);
}

/* Pairs (a, b), a a neighbour of u, b one of v, on one side, with a right
** of b: the crossings of u's and v's segments there when u is left of v. */
static sqlite3_int64 cross_two(Layout *L, int u, int v, int bDown){
  const int *a, *b;
  int na = nbr(L, bDown, u, &a), nb = nbr(L, bDown, v, &b), i, j;
  sqlite3_int64 n = 0;
  if( na==0 || nb==0 ) return 0;
  for(i=0; i<na; i++) L->aNbrA[i] = L->aIdx[a[i]];
  for(j=0; j<nb; j++) L->aNbrB[j] = L->aIdx[b[j]];
  qsort(L->aNbrA, na, sizeof(int), int_cmp);
  qsort(L->aNbrB, nb, sizeof(int), int_cmp);
  /* for each a, the b's strictly less than it */
  for(i=0, j=0; i<na; i++){
    while( j<nb && L->aNbrB[j]<L->aNbrA[i] ) j++;
    n += j;
  }
  return n;
}

/* Swap neighbours of rank r while it lowers crossings. */
static void transpose_rank(Layout *L, int r){
  int s = L->aRankStart[r], e = L->aRankStart[r+1], pass, i, bSwapped = 1;
  for(pass=0; pass<LAYOUT_TRANSPOSE_PASSES && bSwapped; pass++){
    bSwapped = 0;
    for(i=s; i+1<e; i++){
      int u = L->aOrder[i], v = L->aOrder[i+1];
      sqlite3_int64 cUV = cross_two(L, u, v, 0) + cross_two(L, u, v, 1);
      sqlite3_int64 cVU;
      if( cUV==0 ) continue;
      cVU = cross_two(L, v, u, 0) + cross_two(L, v, u, 1);
      if( cVU<cUV ){
        L->aOrder[i] = v;
        L->aOrder[i+1] = u;
        L->aIdx[v] = i - s;
        L->aIdx[u] = i + 1 - s;
        bSwapped = 1;
      }
    }
  }
}

static void order_nodes(Layout *L, sqlite3_int64 nWork){
  sqlite3_int64 nBest, n;
  int iter, r, nStale = 0, nIter = LAYOUT_MAX_ITER;
  if( nWork>0 && LAYOUT_WORK/nWork < nIter ){
    nIter = (int)(LAYOUT_WORK/nWork);
    if( nIter<LAYOUT_MIN_ITER ) nIter = LAYOUT_MIN_ITER;
  }
  for(r=0; r<L->nRank; r++) index_rank(L, r);
  nBest = cross_all(L);
  memcpy(L->aBest, L->aOrder, sizeof(int)*L->nAll);
  for(iter=0; iter<nIter && nBest>0 && nStale<LAYOUT_MAX_STALE;
      iter++){
    if( iter%2==0 ){
      for(r=1; r<L->nRank; r++) median_rank(L, r, 0);
    }else{
      for(r=L->nRank-2; r>=0; r--) median_rank(L, r, 1);
    }
    for(r=0; r<L->nRank; r++) transpose_rank(L, r);
    n = cross_all(L);
    if( n<nBest ){
      nBest = n;
      nStale = 0;
      memcpy(L->aBest, L->aOrder, sizeof(int)*L->nAll);
    }else{
      nStale++;
    }
  }
  memcpy(L->aOrder, L->aBest, sizeof(int)*L->nAll);
  for(r=0; r<L->nRank; r++) index_rank(L, r);
}

/* Place rank r's nodes as near as they can be to aKey (the wanted
** coordinates), in order and separated: with z_i = pos_i - S_i (S_i the
** sum of separations before i) the constraint is z non-decreasing, and the
** least-squares z is the isotonic regression of aKey - S (pool adjacent
** violators: blocks of (sum, count), merged while out of order). */
static void place_rank(Layout *L, int r){
  int s = L->aRankStart[r], e = L->aRankStart[r+1], n = e-s, i, nBlock = 0;
  double S = 0.0;
  /* blocks in aKey-free scratch: aBlockSum (aPos of scratch) */
  double *aSum = L->aKey + L->nAll;       /* n doubles of scratch each */
  int *aCnt = L->aTmp;
  double *aTarget = aSum + L->nAll;
  for(i=0; i<n; i++){
    int u = L->aOrder[s+i];
    if( i>0 ){
      S += (L->aExt[L->aOrder[s+i-1]] + L->aExt[u]) / 2.0 + LAYOUT_NODE_GAP;
    }
    aTarget[i] = L->aKey[u] - S;
    aSum[nBlock] = aTarget[i];
    aCnt[nBlock] = 1;
    nBlock++;
    while( nBlock>1 && aSum[nBlock-2]/aCnt[nBlock-2]
                       > aSum[nBlock-1]/aCnt[nBlock-1] ){
      aSum[nBlock-2] += aSum[nBlock-1];
      aCnt[nBlock-2] += aCnt[nBlock-1];
      nBlock--;
    }
  }
  /* aTarget[i] becomes each node's S_i again, to add the block means */
  S = 0.0;
  {
    int b = 0, left = aCnt[0];
    for(i=0; i<n; i++){
      int u = L->aOrder[s+i];
      if( i>0 ){
        S += (L->aExt[L->aOrder[s+i-1]] + L->aExt[u]) / 2.0 + LAYOUT_NODE_GAP;
      }
      if( left==0 ){ b++; left = aCnt[b]; }
      L->aPos[u] = aSum[b]/aCnt[b] + S;
      left--;
    }
  }
}

/* Across-rank coordinates: pack each rank around 0, then balance. */
static void place_nodes(Layout *L){
  int r, i, pass;
  for(r=0; r<L->nRank; r++){
    double y = 0.0;
    int s = L->aRankStart[r], e = L->aRankStart[r+1];
    for(i=s; i<e; i++){
      int u = L->aOrder[i];
      if( i>s ) y += (L->aExt[L->aOrder[i-1]] + L->aExt[u]) / 2.0 + LAYOUT_NODE_GAP;
      L->aPos[u] = y;
    }
    for(i=s; i<e; i++) L->aPos[L->aOrder[i]] -= y/2.0;
  }
  for(pass=0; pass<LAYOUT_COORD_PASSES; pass++){
    /* alternately toward the rank before (going down) and the rank after
    ** (going up); the last pass looks both ways */
    int bLast = pass==LAYOUT_COORD_PASSES-1, bDown = pass%2==0;
    for(r=0; r<L->nRank; r++){
      int rr = bDown ? r : L->nRank-1-r;
      int s = L->aRankStart[rr], e = L->aRankStart[rr+1];
      for(i=s; i<e; i++){
        int u = L->aOrder[i], side, k, nSum = 0;
        double sum = 0.0;
        for(side=0; side<2; side++){
          const int *a;
          int n;
          if( !bLast && side!=(bDown ? 0 : 1) ) continue;
          n = nbr(L, side, u, &a);
          for(k=0; k<n; k++) sum += L->aPos[a[k]];
          nSum += n;
        }
        L->aKey[u] = nSum ? sum/nSum : L->aPos[u];
      }
      place_rank(L, rr);
    }
  }
}

static void layout_free(Layout *L){
  sqlite3_free(L->aRank); sqlite3_free(L->aExt); sqlite3_free(L->aPos);
  sqlite3_free(L->aRankStart); sqlite3_free(L->aOrder); sqlite3_free(L->aBest);
  sqlite3_free(L->aIdx); sqlite3_free(L->aUpStart); sqlite3_free(L->aUp);
  sqlite3_free(L->aDownStart); sqlite3_free(L->aDown); sqlite3_free(L->aKey);
  sqlite3_free(L->aTmp); sqlite3_free(L->aFen); sqlite3_free(L->aNbrA);
  sqlite3_free(L->aNbrB); sqlite3_free(L->aSort);
}

static void *alloc0(sqlite3_int64 n, int *pbOom){
  void *p = sqlite3_malloc64(n>0 ? (sqlite3_uint64)n : 1);
  if( p==0 ) *pbOom = 1;
  else memset(p, 0, n>0 ? (size_t)n : 1);
  return p;
}

int lineage_layout(LineageLayoutBox *aBox, int nBox, const int *aEdge,
                   int nEdge, int bTB, double *pWidth, double *pHeight){
  Layout L;
  int i, k, r, bOom = 0, nSeg = 0, iNext;
  int *aSegU = 0, *aSegV = 0;
  double *aRankSize = 0, at, minX, minY, maxX, maxY;
  sqlite3_int64 nVirtual = 0;
  memset(&L, 0, sizeof(L));
  L.nBox = nBox;
  for(i=0; i<nBox; i++){
    if( aBox[i].rank+1>L.nRank ) L.nRank = aBox[i].rank+1;
  }
  for(k=0; k<nEdge; k++){
    int d = aBox[aEdge[2*k]].rank - aBox[aEdge[2*k+1]].rank;
    if( d<0 ) d = -d;
    if( d>1 ) nVirtual += d-1;
    if( d>0 ) nSeg += d;
  }
  if( nVirtual>0x3fffffff - nBox ) return SQLITE_NOMEM;
  L.nAll = nBox + (int)nVirtual;
  L.aRank = alloc0(sizeof(int)*(sqlite3_int64)L.nAll, &bOom);
  L.aExt = alloc0(sizeof(double)*(sqlite3_int64)L.nAll, &bOom);
  L.aPos = alloc0(sizeof(double)*(sqlite3_int64)L.nAll, &bOom);
  L.aRankStart = alloc0(sizeof(int)*(sqlite3_int64)(L.nRank+2), &bOom);
  L.aOrder = alloc0(sizeof(int)*(sqlite3_int64)L.nAll, &bOom);
  L.aBest = alloc0(sizeof(int)*(sqlite3_int64)L.nAll, &bOom);
  L.aIdx = alloc0(sizeof(int)*(sqlite3_int64)L.nAll, &bOom);
  L.aUpStart = alloc0(sizeof(int)*(sqlite3_int64)(L.nAll+1), &bOom);
  L.aDownStart = alloc0(sizeof(int)*(sqlite3_int64)(L.nAll+1), &bOom);
  L.aUp = alloc0(sizeof(int)*(sqlite3_int64)nSeg, &bOom);
  L.aDown = alloc0(sizeof(int)*(sqlite3_int64)nSeg, &bOom);
  L.aKey = alloc0(sizeof(double)*3*(sqlite3_int64)L.nAll, &bOom);
  /* (ranks can outnumber nodes: a level whose nodes are all hidden) */
  L.aTmp = alloc0(sizeof(int)*(sqlite3_int64)(L.nAll>L.nRank ? L.nAll : L.nRank+1),
                  &bOom);
  L.aFen = alloc0(sizeof(int)*(sqlite3_int64)(L.nAll+1), &bOom);
  L.aNbrA = alloc0(sizeof(int)*(sqlite3_int64)(nSeg+1), &bOom);
  L.aNbrB = alloc0(sizeof(int)*(sqlite3_int64)(nSeg+1), &bOom);
  L.aSort = alloc0(sizeof(LayoutKey)*(sqlite3_int64)L.nAll, &bOom);
  aSegU = alloc0(sizeof(int)*(sqlite3_int64)nSeg, &bOom);
  aSegV = alloc0(sizeof(int)*(sqlite3_int64)nSeg, &bOom);
  aRankSize = alloc0(sizeof(double)*(sqlite3_int64)(L.nRank+1), &bOom);
  if( bOom ) goto done;

  /* Nodes: the boxes, then the virtual nodes of each long edge; segments
  ** join rank r (aSegU) to rank r+1 (aSegV). */
  for(i=0; i<nBox; i++){
    L.aRank[i] = aBox[i].rank;
    L.aExt[i] = bTB ? aBox[i].w : aBox[i].h;
    if( (bTB ? aBox[i].h : aBox[i].w) > aRankSize[aBox[i].rank] ){
      aRankSize[aBox[i].rank] = bTB ? aBox[i].h : aBox[i].w;
    }
  }
  iNext = nBox;
  nSeg = 0;
  for(k=0; k<nEdge; k++){
    int a = aEdge[2*k], b = aEdge[2*k+1], prev;
    if( aBox[a].rank==aBox[b].rank ) continue;
    if( aBox[a].rank>aBox[b].rank ){ int t = a; a = b; b = t; }
    prev = a;
    for(r=aBox[a].rank+1; r<aBox[b].rank; r++){
      L.aRank[iNext] = r;
      L.aExt[iNext] = LAYOUT_VIRTUAL_SIZE;
      aSegU[nSeg] = prev; aSegV[nSeg] = iNext; nSeg++;
      prev = iNext++;
    }
    aSegU[nSeg] = prev; aSegV[nSeg] = b; nSeg++;
  }
  /* CSR of both sides */
  for(k=0; k<nSeg; k++){ L.aDownStart[aSegU[k]+1]++; L.aUpStart[aSegV[k]+1]++; }
  for(i=0; i<L.nAll; i++){
    L.aDownStart[i+1] += L.aDownStart[i];
    L.aUpStart[i+1] += L.aUpStart[i];
  }
  memcpy(L.aTmp, L.aDownStart, sizeof(int)*L.nAll);
  for(k=0; k<nSeg; k++) L.aDown[L.aTmp[aSegU[k]]++] = aSegV[k];
  memcpy(L.aTmp, L.aUpStart, sizeof(int)*L.nAll);
  for(k=0; k<nSeg; k++) L.aUp[L.aTmp[aSegV[k]]++] = aSegU[k];
  /* ranks, in input order (virtual nodes after the boxes of their rank) */
  for(i=0; i<L.nAll; i++) L.aRankStart[L.aRank[i]+1]++;
  for(r=0; r<L.nRank; r++) L.aRankStart[r+1] += L.aRankStart[r];
  memcpy(L.aTmp, L.aRankStart, sizeof(int)*L.nRank);
  for(i=0; i<L.nAll; i++) L.aOrder[L.aTmp[L.aRank[i]]++] = i;

  order_nodes(&L, (sqlite3_int64)L.nAll + nSeg);
  place_nodes(&L);

  /* Along the ranks: each rank as wide as its widest box. */
  at = 0.0;
  for(r=0; r<L.nRank; r++){
    double mid = at + aRankSize[r]/2.0;
    aRankSize[r] = mid;              /* from here on: the rank's centre */
    at += (mid-at)*2.0 + LAYOUT_RANK_GAP;
  }
  minX = minY = 1e300;
  maxX = maxY = -1e300;
  for(i=0; i<nBox; i++){
    double along = aRankSize[aBox[i].rank], across = floor(L.aPos[i]+0.5);
    aBox[i].x = bTB ? across : along;
    aBox[i].y = bTB ? along : across;
    if( aBox[i].x - aBox[i].w/2 < minX ) minX = aBox[i].x - aBox[i].w/2;
    if( aBox[i].y - aBox[i].h/2 < minY ) minY = aBox[i].y - aBox[i].h/2;
  }
  for(i=0; i<nBox; i++){
    aBox[i].x += LAYOUT_MARGIN - minX;
    aBox[i].y += LAYOUT_MARGIN - minY;
    aBox[i].x = floor(aBox[i].x+0.5);
    aBox[i].y = floor(aBox[i].y+0.5);
    if( aBox[i].x + aBox[i].w/2 > maxX ) maxX = aBox[i].x + aBox[i].w/2;
    if( aBox[i].y + aBox[i].h/2 > maxY ) maxY = aBox[i].y + aBox[i].h/2;
  }
  *pWidth = nBox ? maxX + LAYOUT_MARGIN : 2*LAYOUT_MARGIN;
  *pHeight = nBox ? maxY + LAYOUT_MARGIN : 2*LAYOUT_MARGIN;

done:
  sqlite3_free(aSegU);
  sqlite3_free(aSegV);
  sqlite3_free(aRankSize);
  layout_free(&L);
  return bOom ? SQLITE_NOMEM : SQLITE_OK;
}
