/*
** dot.c: lineage_dot's text, a Graphviz digraph.
**
**   sqlite3 my.db "SELECT lineage_dot('model:v3')" | dot -Tsvg > lineage.svg
**
** One node statement per box (n<node id>, or c<cluster id> for a folded
** cluster), in level order; one `{rank=same; ...}` per level, so dot keeps
** the levels lineage_clusters gives; one edge statement per pair of boxes.
** Runs are green, artifact versions blue (W&B's colours), the start has a
** thick border, a folded cluster a dashed one. Labels are DOT strings:
** `"` and `\` are escaped (so none of dot's \N \G \l escapes can appear),
** a newline is \n, `&` is &amp; (dot reads entities in labels), other
** control characters become spaces and bytes that are not UTF-8 U+FFFD.
** Node ids are generated, so a name like `graph` or `subgraph` (DOT's
** keywords) is only ever text inside quotes.
*/
#include "lineage.h"

/* W&B's lineage colours: fill, border. */
#define DOT_RUN_FILL      "#dcfce7"
#define DOT_RUN_BORDER    "#16a34a"
#define DOT_ART_FILL      "#dbeafe"
#define DOT_ART_BORDER    "#2563eb"

/* DOT's escapes (see above); a LineageEscape. */
static int dot_char(sqlite3_str *pOut, unsigned int c, int bHtml){
  (void)bHtml;
  if( c=='"' || c=='\\' ){
    sqlite3_str_appendchar(pOut, 1, '\\');
    sqlite3_str_appendchar(pOut, 1, (char)c);
  }else if( c=='\n' ){
    sqlite3_str_appendall(pOut, "\\n");
  }else if( c=='&' ){
    sqlite3_str_appendall(pOut, "&amp;");
  }else if( c<0x20 || c==0x7f ){
    sqlite3_str_appendchar(pOut, 1, ' ');
  }else{
    return 0;
  }
  return 1;
}

void lineage_dot_write(sqlite3_str *pOut, const LineagePicture *p){
  int i, k;
  sqlite3_str_appendf(pOut, "digraph lineage {\n"
      "  graph [rankdir=%s, fontname=\"Helvetica\", fontsize=10, "
      "nodesep=0.25, ranksep=0.5", p->bTB ? "TB" : "LR");
  if( p->nHidden || p->bTruncated ){
    sqlite3_str_appendall(pOut, ", labelloc=b, label=\"");
    if( p->nHidden ){
      sqlite3_str_appendf(pOut, "%d hidden", p->nHidden);
    }
    if( p->bTruncated ){
      sqlite3_str_appendf(pOut, "%struncated: farther levels not drawn",
                          p->nHidden ? "; " : "");
    }
    sqlite3_str_appendall(pOut, "\"");
  }
  sqlite3_str_appendall(pOut, "];\n"
      "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", "
      "fontsize=10];\n"
      "  edge [color=\"#64748b\", arrowsize=0.7];\n");
  for(i=0; i<p->nBox; i++){
    const LineagePicBox *b = &p->aBox[i];
    int bRun;
    sqlite3_str_appendall(pOut, "  ");
    lineage_pic_box_id(pOut, p, i);
    sqlite3_str_appendall(pOut, " [label=\"");
    bRun = lineage_pic_label(pOut, p, i, dot_char, "\\n");
    sqlite3_str_appendf(pOut, "\", fillcolor=\"%s\", color=\"%s\"",
                        bRun ? DOT_RUN_FILL : DOT_ART_FILL,
                        bRun ? DOT_RUN_BORDER : DOT_ART_BORDER);
    if( b->iNode<0 ){
      sqlite3_str_appendall(pOut, ", style=\"rounded,filled,dashed\"");
    }else if( b->iNode==p->iStart ){
      sqlite3_str_appendall(pOut, ", penwidth=3, fontname=\"Helvetica-Bold\"");
    }
    sqlite3_str_appendall(pOut, "];\n");
  }
  /* one rank per level */
  for(i=0; i<p->nBox; i=k){
    sqlite3_str_appendall(pOut, "  {rank=same;");
    for(k=i; k<p->nBox && p->aBox[k].lay.rank==p->aBox[i].lay.rank; k++){
      sqlite3_str_appendall(pOut, " ");
      lineage_pic_box_id(pOut, p, k);
      sqlite3_str_appendall(pOut, ";");
    }
    sqlite3_str_appendall(pOut, "}\n");
  }
  lineage_pic_edges(pOut, p, " -> ", ";\n");
  sqlite3_str_appendall(pOut, "}\n");
}
