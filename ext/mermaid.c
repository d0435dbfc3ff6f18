/*
** mermaid.c: lineage_mermaid's text, a Mermaid flowchart (GitHub draws a
** ```mermaid block in place).
**
**   SELECT lineage_mermaid('model:v3');
**
** `flowchart LR` (or TB), one node per box (n<node id>, or c<cluster id>
** for a folded cluster, drawn as a subroutine box), in level order, then one
** `-->` per pair of boxes, then the classes: runs green, artifact versions
** blue (W&B's colours), the start with a thick border. Hidden nodes and
** truncation are said in %% comments. Labels are quoted strings in which
** every ASCII character but letters, digits, space and _ . , : / - + @ is
** written as an entity code (#34; for a quote, #60; for <, #35; for # ...),
** so no quote, bracket, HTML tag or markdown can end or change a label; a
** newline is <br/>; other characters are written as they are (UTF-8; a byte
** that is not UTF-8 becomes U+FFFD). Node ids are generated, so a name like
** `end`, `graph` or `subgraph` (Mermaid's keywords) is only ever text in
** quotes.
*/
#include "lineage.h"
#include <string.h>

static void mermaid_text(sqlite3_str *pOut, const char *z){
  const unsigned char *s = (const unsigned char*)(z ? z : "");
  while( *s ){
    unsigned int c;
    int n = lineage_utf8_next(s, &c);
    if( c=='\n' ){
      sqlite3_str_appendall(pOut, "<br/>");
    }else if( c<0x80 && !((c>='a' && c<='z') || (c>='A' && c<='Z')
                         || (c>='0' && c<='9') || strchr(" _.,:/-+@", (int)c)) ){
      sqlite3_str_appendf(pOut, "#%u;", c);
    }else if( c==0xfffd && n==1 ){
      sqlite3_str_appendall(pOut, "\xef\xbf\xbd");
    }else{
      sqlite3_str_append(pOut, (const char*)s, n);
    }
    s += n;
  }
}

void lineage_mermaid_write(sqlite3_str *pOut, const LineagePicture *p){
  int i, k;
  sqlite3_str_appendf(pOut, "flowchart %s\n", p->bTB ? "TB" : "LR");
  if( p->nHidden ) sqlite3_str_appendf(pOut, "  %%%% %d hidden\n", p->nHidden);
  if( p->bTruncated ){
    sqlite3_str_appendall(pOut, "  %% truncated: farther levels not drawn\n");
  }
  for(i=0; i<p->nBox; i++){
    const LineagePicBox *b = &p->aBox[i];
    int bRun;
    sqlite3_str_appendall(pOut, "  ");
    lineage_pic_box_id(pOut, p, i);
    if( b->iNode>=0 ){
      const LineagePicNode *q = &p->aNode[b->iNode];
      const char *z1 = q->az[q->bRun ? LINEAGE_PIC_NAME : LINEAGE_PIC_TYPE];
      const char *z2 = q->az[q->bRun ? LINEAGE_PIC_TYPE : LINEAGE_PIC_REF];
      bRun = q->bRun;
      sqlite3_str_appendall(pOut, "[\"");
      if( z1 ) mermaid_text(pOut, z1);
      if( z1 && z2 ) sqlite3_str_appendall(pOut, "<br/>");
      if( z2 ) mermaid_text(pOut, z2);
      if( z1==0 && z2==0 ) mermaid_text(pOut, q->az[LINEAGE_PIC_REF]);
      sqlite3_str_appendall(pOut, "\"]");
    }else{
      const LineagePicCluster *c = &p->aCluster[b->iCluster];
      bRun = c->bRun;
      sqlite3_str_appendall(pOut, "[[\"");
      mermaid_text(pOut, c->zLabel);
      sqlite3_str_appendall(pOut, "\"]]");
    }
    sqlite3_str_appendf(pOut, ":::%s\n", bRun ? "run" : "artifact");
  }
  for(k=0; k<p->nBoxEdge; k++){
    sqlite3_str_appendall(pOut, "  ");
    lineage_pic_box_id(pOut, p, p->aBoxEdge[2*k]);
    sqlite3_str_appendall(pOut, " --> ");
    lineage_pic_box_id(pOut, p, p->aBoxEdge[2*k+1]);
    sqlite3_str_appendall(pOut, "\n");
  }
  sqlite3_str_appendall(pOut,
      "  classDef run fill:#dcfce7,stroke:#16a34a,color:#14532d\n"
      "  classDef artifact fill:#dbeafe,stroke:#2563eb,color:#1e3a8a\n"
      "  classDef start stroke-width:4px\n");
  sqlite3_str_appendall(pOut, "  class ");
  lineage_pic_box_id(pOut, p, p->aNode[p->iStart].iBox);
  sqlite3_str_appendall(pOut, " start\n");
}
