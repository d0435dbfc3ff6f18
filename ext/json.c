/*
** json.c: lineage_json's text, and lineage_html's page.
**
**   SELECT lineage_json('model:v3');
**   sqlite3 my.db "SELECT lineage_html('model:v3')" > lineage.html
**
** lineage_json: one object, keys in a fixed order: start, start_ref,
** direction, rankdir, truncated, hidden, width, height, nodes (every node
** drawn or folded into a cluster, in level order, with its box and the
** fields of its W&B panel), edges (every edge between two of those nodes,
** the way data flows) and clusters. Strings are escaped as JSON requires
** (" \ and control characters; a byte that is not UTF-8 becomes U+FFFD);
** numbers are integers (coordinates are whole drawing units), except a
** run's duration_s.
**
** lineage_html: the page web/lineage.html (embedded at build time) with its
** one /[*]LINEAGE_JSON[*]/ marker replaced by that JSON, in which every <, >
** and & is written \u003c, \u003e, \u0026: still the same JSON, and no
** </script> can end the script element that holds it.
*/
#include "lineage.h"
#include "lineage_page_html.h"
#include <string.h>

#define JSON_MARKER "/*LINEAGE_JSON*/"

/* Where the JSON goes; bHtml: for the page, < > & written as \u escapes
** (they only ever occur inside strings). */
typedef struct JsonOut {
  sqlite3_str *p;
  int bHtml;
} JsonOut;

/* Text that is JSON already (the aliases array). */
static void json_raw(const JsonOut *o, const char *z){
  for(; *z; z++){
    if( o->bHtml && (*z=='<' || *z=='>' || *z=='&') ){
      sqlite3_str_appendf(o->p, "\\u%04x", (unsigned int)*z);
    }else{
      sqlite3_str_appendchar(o->p, 1, *z);
    }
  }
}

/* JSON's escapes; with bHtml also < > & (a LineageEscape). */
static int json_char(sqlite3_str *pOut, unsigned int c, int bHtml){
  if( c=='"' || c=='\\' ){
    sqlite3_str_appendchar(pOut, 1, '\\');
    sqlite3_str_appendchar(pOut, 1, (char)c);
  }else if( c=='\n' ){
    sqlite3_str_appendall(pOut, "\\n");
  }else if( c=='\t' ){
    sqlite3_str_appendall(pOut, "\\t");
  }else if( c=='\r' ){
    sqlite3_str_appendall(pOut, "\\r");
  }else if( c<0x20 || (bHtml && (c=='<' || c=='>' || c=='&')) ){
    sqlite3_str_appendf(pOut, "\\u%04x", c);
  }else{
    return 0;
  }
  return 1;
}

static void json_string(const JsonOut *o, const char *z){
  if( z==0 ){
    sqlite3_str_appendall(o->p, "null");
    return;
  }
  sqlite3_str_appendchar(o->p, 1, '"');
  lineage_pic_text(o->p, z, json_char, o->bHtml);
  sqlite3_str_appendchar(o->p, 1, '"');
}

/* "key":value pairs; a NULL text is null. */
static void json_key(const JsonOut *o, const char *zKey){
  sqlite3_str_appendf(o->p, ",\"%s\":", zKey);
}
static void json_text_field(const JsonOut *o, const char *zKey, const char *z){
  json_key(o, zKey);
  json_string(o, z);
}
/* A number as SQLite wrote it (integer or real text), or null. */
static void json_number_field(const JsonOut *o, const char *zKey, const char *z){
  json_key(o, zKey);
  sqlite3_str_appendall(o->p, z ? z : "null");
}
static void json_box(sqlite3_str *pOut, double x, double y, double w, double h){
  sqlite3_str_appendf(pOut, ",\"x\":%lld,\"y\":%lld,\"w\":%lld,\"h\":%lld",
                      (sqlite3_int64)x, (sqlite3_int64)y,
                      (sqlite3_int64)w, (sqlite3_int64)h);
}

static void json_write(const JsonOut *o, const LineagePicture *p){
  sqlite3_str *pOut = o->p;
  int i;
  const LineagePicNode *s = &p->aNode[p->iStart];
  sqlite3_str_appendf(pOut, "{\"start\":%lld,\"start_ref\":", s->id);
  json_string(o, s->az[LINEAGE_PIC_REF]);
  sqlite3_str_appendf(pOut, ",\"direction\":\"%s\",\"rankdir\":\"%s\","
      "\"truncated\":%s,\"hidden\":%d,\"width\":%lld,\"height\":%lld,"
      "\"nodes\":[", p->zDirection, p->bTB ? "TB" : "LR",
      p->bTruncated ? "true" : "false", p->nHidden,
      (sqlite3_int64)p->width, (sqlite3_int64)p->height);
  for(i=0; i<p->nNode; i++){
    const LineagePicNode *q = &p->aNode[i];
    const LineagePicBox *b = &p->aBox[q->iBox];
    const char *const *az = (const char *const*)q->az;
    sqlite3_str_appendf(pOut, "%s{\"id\":%lld,\"kind\":\"%s\"", i ? "," : "",
                        q->id, q->bRun ? "run" : "artifact");
    json_text_field(o, "ref", az[LINEAGE_PIC_REF]);
    json_text_field(o, "project", az[LINEAGE_PIC_PROJECT]);
    json_text_field(o, "name", az[LINEAGE_PIC_NAME]);
    json_key(o, "version");
    if( q->version>=0 ) sqlite3_str_appendf(pOut, "%lld", q->version);
    else sqlite3_str_appendall(pOut, "null");
    json_text_field(o, "type", az[LINEAGE_PIC_TYPE]);
    json_text_field(o, "state", az[LINEAGE_PIC_STATE]);
    sqlite3_str_appendf(pOut, ",\"level\":%d,\"cluster\":", q->level);
    if( q->cluster ){
      sqlite3_str_appendf(pOut, "%d", p->aCluster[q->cluster-1].id);
    }else{
      sqlite3_str_appendall(pOut, "null");
    }
    json_box(pOut, b->lay.x, b->lay.y, b->lay.w, b->lay.h);
    if( q->bRun ){
      json_text_field(o, "started_at", az[LINEAGE_PIC_STARTED_AT]);
      json_number_field(o, "duration_s", az[LINEAGE_PIC_DURATION]);
      json_text_field(o, "author", az[LINEAGE_PIC_AUTHOR]);
      json_text_field(o, "job_type", az[LINEAGE_PIC_TYPE]);
    }else{
      json_key(o, "aliases");
      json_raw(o, az[LINEAGE_PIC_ALIASES] ? az[LINEAGE_PIC_ALIASES] : "[]");
      json_text_field(o, "created_at", az[LINEAGE_PIC_CREATED_AT]);
      json_text_field(o, "description", az[LINEAGE_PIC_DESCRIPTION]);
      json_text_field(o, "logged_by", az[LINEAGE_PIC_LOGGED_BY]);
      json_number_field(o, "size", az[LINEAGE_PIC_SIZE]);
    }
    sqlite3_str_appendall(pOut, "}");
  }
  sqlite3_str_appendall(pOut, "],\"edges\":[");
  for(i=0; i<p->nEdge; i++){
    sqlite3_str_appendf(pOut, "%s{\"src\":%lld,\"dst\":%lld}", i ? "," : "",
                        p->aNode[p->aEdge[2*i]].id,
                        p->aNode[p->aEdge[2*i+1]].id);
  }
  sqlite3_str_appendall(pOut, "],\"clusters\":[");
  for(i=0; i<p->nCluster; i++){
    const LineagePicCluster *c = &p->aCluster[i];
    sqlite3_str_appendf(pOut, "%s{\"id\":%d,\"level\":%d,\"kind\":\"%s\","
        "\"size\":%d,\"label\":", i ? "," : "", c->id, c->level,
        c->bRun ? "run" : "artifact", c->nMember);
    json_string(o, c->zLabel);
    sqlite3_str_appendf(pOut, ",\"expanded\":%s", c->bExpanded ? "true" : "false");
    json_box(pOut, c->x, c->y, c->w, c->h);
    sqlite3_str_appendall(pOut, "}");
  }
  sqlite3_str_appendall(pOut, "]}");
}

void lineage_json_write(sqlite3_str *pOut, const LineagePicture *p){
  JsonOut o;
  o.p = pOut;
  o.bHtml = 0;
  json_write(&o, p);
}

void lineage_html_write(sqlite3_str *pOut, const LineagePicture *p){
  const char *zPage = lineage_page_html;
  const char *zMark = strstr(zPage, JSON_MARKER);
  JsonOut o;
  if( zMark==0 ){                 /* a page without the marker: as it is */
    sqlite3_str_appendall(pOut, zPage);
    return;
  }
  sqlite3_str_append(pOut, zPage, (int)(zMark - zPage));
  o.p = pOut;
  o.bHtml = 1;
  json_write(&o, p);
  sqlite3_str_appendall(pOut, zMark + strlen(JSON_MARKER));
}
