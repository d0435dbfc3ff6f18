/*
** md5.c: MD5 (RFC 1321), hex and base64, for W&B-compatible digests.
**
** W&B identifies a file by the base64 of its MD5 and a version by the hex
** MD5 of its manifest, so the extension carries a small MD5 of its own
** rather than a dependency on a crypto library. Streaming: init, update any
** number of times, final.
*/
#include "lineage.h"
#include <string.h>

/* Per-round shift amounts and the sine-derived constants of RFC 1321. */
static const unsigned char md5Shift[64] = {
  7,12,17,22, 7,12,17,22, 7,12,17,22, 7,12,17,22,
  5, 9,14,20, 5, 9,14,20, 5, 9,14,20, 5, 9,14,20,
  4,11,16,23, 4,11,16,23, 4,11,16,23, 4,11,16,23,
  6,10,15,21, 6,10,15,21, 6,10,15,21, 6,10,15,21
};
static const unsigned int md5K[64] = {
  0xd76aa478,0xe8c7b756,0x242070db,0xc1bdceee,0xf57c0faf,0x4787c62a,
  0xa8304613,0xfd469501,0x698098d8,0x8b44f7af,0xffff5bb1,0x895cd7be,
  0x6b901122,0xfd987193,0xa679438e,0x49b40821,0xf61e2562,0xc040b340,
  0x265e5a51,0xe9b6c7aa,0xd62f105d,0x02441453,0xd8a1e681,0xe7d3fbc8,
  0x21e1cde6,0xc33707d6,0xf4d50d87,0x455a14ed,0xa9e3e905,0xfcefa3f8,
  0x676f02d9,0x8d2a4c8a,0xfffa3942,0x8771f681,0x6d9d6122,0xfde5380c,
  0xa4beea44,0x4bdecfa9,0xf6bb4b60,0xbebfbc70,0x289b7ec6,0xeaa127fa,
  0xd4ef3085,0x04881d05,0xd9d4d039,0xe6db99e5,0x1fa27cf8,0xc4ac5665,
  0xf4292244,0x432aff97,0xab9423a7,0xfc93a039,0x655b59c3,0x8f0ccc92,
  0xffeff47d,0x85845dd1,0x6fa87e4f,0xfe2ce6e0,0xa3014314,0x4e0811a1,
  0xf7537e82,0xbd3af235,0x2ad7d2bb,0xeb86d391
};

/* One 64-byte block into the state. */
static void md5_block(unsigned int st[4], const unsigned char *p){
  unsigned int m[16], a = st[0], b = st[1], c = st[2], d = st[3];
  int i;
  for(i=0; i<16; i++){
    m[i] = (unsigned int)p[4*i] | ((unsigned int)p[4*i+1]<<8)
         | ((unsigned int)p[4*i+2]<<16) | ((unsigned int)p[4*i+3]<<24);
  }
  for(i=0; i<64; i++){
    unsigned int f, t;
    int g;
    if( i<16 ){      f = (b & c) | (~b & d);  g = i; }
    else if( i<32 ){ f = (d & b) | (~d & c);  g = (5*i + 1) & 15; }
    else if( i<48 ){ f = b ^ c ^ d;           g = (3*i + 5) & 15; }
    else{            f = c ^ (b | ~d);        g = (7*i) & 15; }
    t = d;
    d = c;
    c = b;
    f = f + a + md5K[i] + m[g];
    b = b + ((f << md5Shift[i]) | (f >> (32 - md5Shift[i])));
    a = t;
  }
  st[0] += a; st[1] += b; st[2] += c; st[3] += d;
}

void lineage_md5_init(LineageMd5 *c){
  c->state[0] = 0x67452301;
  c->state[1] = 0xefcdab89;
  c->state[2] = 0x98badcfe;
  c->state[3] = 0x10325476;
  c->nBytes = 0;
}

void lineage_md5_update(LineageMd5 *c, const void *pData, size_t n){
  const unsigned char *p = (const unsigned char*)pData;
  size_t have = (size_t)(c->nBytes & 63);
  c->nBytes += n;
  if( have ){
    size_t take = 64 - have;
    if( take>n ) take = n;
    memcpy(c->buf + have, p, take);
    p += take; n -= take;
    if( have + take < 64 ) return;
    md5_block(c->state, c->buf);
  }
  for(; n>=64; p+=64, n-=64) md5_block(c->state, p);
  if( n ) memcpy(c->buf, p, n);
}

void lineage_md5_final(LineageMd5 *c, unsigned char out[16]){
  unsigned char pad[72];
  unsigned long long nBits = c->nBytes * 8;
  size_t nPad = 64 - (size_t)((c->nBytes + 8) & 63);  /* 1..64 */
  int i;
  memset(pad, 0, sizeof(pad));
  pad[0] = 0x80;
  for(i=0; i<8; i++) pad[nPad + i] = (unsigned char)(nBits >> (8*i));
  lineage_md5_update(c, pad, nPad + 8);
  for(i=0; i<16; i++) out[i] = (unsigned char)(c->state[i/4] >> (8*(i%4)));
}

void lineage_hex(const unsigned char *p, int n, char *zOut){
  static const char hex[] = "0123456789abcdef";
  int i;
  for(i=0; i<n; i++){
    zOut[2*i] = hex[p[i]>>4];
    zOut[2*i+1] = hex[p[i]&15];
  }
  zOut[2*n] = 0;
}

void lineage_base64(const unsigned char *p, int n, char *zOut){
  static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int i, j = 0;
  for(i=0; i<n; i+=3){
    unsigned int v = (unsigned int)p[i] << 16;
    if( i+1<n ) v |= (unsigned int)p[i+1] << 8;
    if( i+2<n ) v |= p[i+2];
    zOut[j++] = b64[(v>>18) & 63];
    zOut[j++] = b64[(v>>12) & 63];
    zOut[j++] = i+1<n ? b64[(v>>6) & 63] : '=';
    zOut[j++] = i+2<n ? b64[v & 63] : '=';
  }
  zOut[j] = 0;
}
