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

/* The four round functions of RFC 1321 (F and G in the forms that need one
** operation fewer), and one step: a = b + ((a + f(b,c,d) + m + k) <<< s).
** The 64 steps are written out, with their constants, so that the compiler
** keeps the state in registers: a loop over tables runs several times
** slower, and hashing a large local_path is bound by this function. */
#define MD5_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD5_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))
#define MD5_STEP(f, a, b, c, d, m, k, s) \
  (a) += f((b), (c), (d)) + (m) + (unsigned int)(k); \
  (a) = ((a) << (s)) | (((a) & 0xffffffffu) >> (32 - (s))); \
  (a) += (b);

/* One 64-byte block into the state. */
static void md5_block(unsigned int st[4], const unsigned char *p){
  unsigned int m[16], a = st[0], b = st[1], c = st[2], d = st[3];
  int i;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__==__ORDER_LITTLE_ENDIAN__
  (void)i;
  memcpy(m, p, 64);                  /* the words are little-endian */
#else
  for(i=0; i<16; i++){
    m[i] = (unsigned int)p[4*i] | ((unsigned int)p[4*i+1]<<8)
         | ((unsigned int)p[4*i+2]<<16) | ((unsigned int)p[4*i+3]<<24);
  }
#endif
  MD5_STEP(MD5_F, a, b, c, d, m[0],  0xd76aa478, 7)
  MD5_STEP(MD5_F, d, a, b, c, m[1],  0xe8c7b756, 12)
  MD5_STEP(MD5_F, c, d, a, b, m[2],  0x242070db, 17)
  MD5_STEP(MD5_F, b, c, d, a, m[3],  0xc1bdceee, 22)
  MD5_STEP(MD5_F, a, b, c, d, m[4],  0xf57c0faf, 7)
  MD5_STEP(MD5_F, d, a, b, c, m[5],  0x4787c62a, 12)
  MD5_STEP(MD5_F, c, d, a, b, m[6],  0xa8304613, 17)
  MD5_STEP(MD5_F, b, c, d, a, m[7],  0xfd469501, 22)
  MD5_STEP(MD5_F, a, b, c, d, m[8],  0x698098d8, 7)
  MD5_STEP(MD5_F, d, a, b, c, m[9],  0x8b44f7af, 12)
  MD5_STEP(MD5_F, c, d, a, b, m[10], 0xffff5bb1, 17)
  MD5_STEP(MD5_F, b, c, d, a, m[11], 0x895cd7be, 22)
  MD5_STEP(MD5_F, a, b, c, d, m[12], 0x6b901122, 7)
  MD5_STEP(MD5_F, d, a, b, c, m[13], 0xfd987193, 12)
  MD5_STEP(MD5_F, c, d, a, b, m[14], 0xa679438e, 17)
  MD5_STEP(MD5_F, b, c, d, a, m[15], 0x49b40821, 22)
  MD5_STEP(MD5_G, a, b, c, d, m[1],  0xf61e2562, 5)
  MD5_STEP(MD5_G, d, a, b, c, m[6],  0xc040b340, 9)
  MD5_STEP(MD5_G, c, d, a, b, m[11], 0x265e5a51, 14)
  MD5_STEP(MD5_G, b, c, d, a, m[0],  0xe9b6c7aa, 20)
  MD5_STEP(MD5_G, a, b, c, d, m[5],  0xd62f105d, 5)
  MD5_STEP(MD5_G, d, a, b, c, m[10], 0x02441453, 9)
  MD5_STEP(MD5_G, c, d, a, b, m[15], 0xd8a1e681, 14)
  MD5_STEP(MD5_G, b, c, d, a, m[4],  0xe7d3fbc8, 20)
  MD5_STEP(MD5_G, a, b, c, d, m[9],  0x21e1cde6, 5)
  MD5_STEP(MD5_G, d, a, b, c, m[14], 0xc33707d6, 9)
  MD5_STEP(MD5_G, c, d, a, b, m[3],  0xf4d50d87, 14)
  MD5_STEP(MD5_G, b, c, d, a, m[8],  0x455a14ed, 20)
  MD5_STEP(MD5_G, a, b, c, d, m[13], 0xa9e3e905, 5)
  MD5_STEP(MD5_G, d, a, b, c, m[2],  0xfcefa3f8, 9)
  MD5_STEP(MD5_G, c, d, a, b, m[7],  0x676f02d9, 14)
  MD5_STEP(MD5_G, b, c, d, a, m[12], 0x8d2a4c8a, 20)
  MD5_STEP(MD5_H, a, b, c, d, m[5],  0xfffa3942, 4)
  MD5_STEP(MD5_H, d, a, b, c, m[8],  0x8771f681, 11)
  MD5_STEP(MD5_H, c, d, a, b, m[11], 0x6d9d6122, 16)
  MD5_STEP(MD5_H, b, c, d, a, m[14], 0xfde5380c, 23)
  MD5_STEP(MD5_H, a, b, c, d, m[1],  0xa4beea44, 4)
  MD5_STEP(MD5_H, d, a, b, c, m[4],  0x4bdecfa9, 11)
  MD5_STEP(MD5_H, c, d, a, b, m[7],  0xf6bb4b60, 16)
  MD5_STEP(MD5_H, b, c, d, a, m[10], 0xbebfbc70, 23)
  MD5_STEP(MD5_H, a, b, c, d, m[13], 0x289b7ec6, 4)
  MD5_STEP(MD5_H, d, a, b, c, m[0],  0xeaa127fa, 11)
  MD5_STEP(MD5_H, c, d, a, b, m[3],  0xd4ef3085, 16)
  MD5_STEP(MD5_H, b, c, d, a, m[6],  0x04881d05, 23)
  MD5_STEP(MD5_H, a, b, c, d, m[9],  0xd9d4d039, 4)
  MD5_STEP(MD5_H, d, a, b, c, m[12], 0xe6db99e5, 11)
  MD5_STEP(MD5_H, c, d, a, b, m[15], 0x1fa27cf8, 16)
  MD5_STEP(MD5_H, b, c, d, a, m[2],  0xc4ac5665, 23)
  MD5_STEP(MD5_I, a, b, c, d, m[0],  0xf4292244, 6)
  MD5_STEP(MD5_I, d, a, b, c, m[7],  0x432aff97, 10)
  MD5_STEP(MD5_I, c, d, a, b, m[14], 0xab9423a7, 15)
  MD5_STEP(MD5_I, b, c, d, a, m[5],  0xfc93a039, 21)
  MD5_STEP(MD5_I, a, b, c, d, m[12], 0x655b59c3, 6)
  MD5_STEP(MD5_I, d, a, b, c, m[3],  0x8f0ccc92, 10)
  MD5_STEP(MD5_I, c, d, a, b, m[10], 0xffeff47d, 15)
  MD5_STEP(MD5_I, b, c, d, a, m[1],  0x85845dd1, 21)
  MD5_STEP(MD5_I, a, b, c, d, m[8],  0x6fa87e4f, 6)
  MD5_STEP(MD5_I, d, a, b, c, m[15], 0xfe2ce6e0, 10)
  MD5_STEP(MD5_I, c, d, a, b, m[6],  0xa3014314, 15)
  MD5_STEP(MD5_I, b, c, d, a, m[13], 0x4e0811a1, 21)
  MD5_STEP(MD5_I, a, b, c, d, m[4],  0xf7537e82, 6)
  MD5_STEP(MD5_I, d, a, b, c, m[11], 0xbd3af235, 10)
  MD5_STEP(MD5_I, c, d, a, b, m[2],  0x2ad7d2bb, 15)
  MD5_STEP(MD5_I, b, c, d, a, m[9],  0xeb86d391, 21)
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
