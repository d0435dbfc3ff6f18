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

/* Mermaid's escapes (see above); a LineageEscape. */
static int mermaid_char(sqlite3_str *pOut, unsigned int c, int bHtml){
  (void)bHtml;
  if( c=='\n' ){
    sqlite3_str_appendall(pOut, "<br/>");
  }else if( c<0x80 && !((c>='a' && c<='z') || (c>='A' && c<='Z')
                       || (c>='0' && c<='9') || strchr(" _.,:/-+@", (int)c)) ){
    sqlite3_str_appendf(pOut, "#%u;", c);
  }else{
    return 0;
  }
  return 1;
}

void lineage_mermaid_write(sqlite3_str *pOut, const LineagePicture *p){
  int i;
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
    sqlite3_str_appendall(pOut, b->iNode>=0 ? "[\"" : "[[\"");
    bRun = lineage_pic_label(pOut, p, i, mermaid_char, "<br/>");
    sqlite3_str_appendall(pOut, b->iNode>=0 ? "\"]" : "\"]]");
    sqlite3_str_appendf(pOut, ":::%s\n", bRun ? "run" : "artifact");
  }
  lineage_pic_edges(pOut, p, " --> ", "\n");
  sqlite3_str_appendall(pOut,
      "  classDef run fill:#dcfce7,stroke:#16a34a,color:#14532d\n"
      "  classDef artifact fill:#dbeafe,stroke:#2563eb,color:#1e3a8a\n"
      "  classDef start stroke-width:4px\n");
  sqlite3_str_appendall(pOut, "  class ");
  lineage_pic_box_id(pOut, p, p->aNode[p->iStart].iBox);
  sqlite3_str_appendall(pOut, " start\n");
}
