#!/bin/sh
# bench/plot.sh DATA PNG: walk time against nodes visited, one series per
# method, log-log, from the data file lineage_bench --dat writes.
set -e
DAT=${1:-build/bench/results.dat}
PNG=${2:-docs/performance.png}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
gnuplot <<GP
set terminal png size 1000,700 font ",11"
set output "$PNG"
set title "Walk time against nodes visited (all shapes and sizes; 2 cores)"
set xlabel "nodes visited"
set ylabel "time (ms)"
set logscale xy
set format x "10^{%L}"
set format y "10^{%L}"
set key top left
set grid
plot "< awk '\$4==\"cte_depth_fresh\"' $DAT" using 5:6 title "CTE with min depth (fresh)" with points pt 8 ps 1.2, \
     "< awk '\$4==\"cte_nodepth_fresh\"' $DAT" using 5:6 title "CTE without depth (fresh)" with points pt 6 ps 1.2, \
     "< awk '\$4==\"ext_fresh\"' $DAT" using 5:6 title "lineage walk, first in a fresh connection" with points pt 7 ps 1.0, \
     "< awk '\$4==\"ext_repeat\"' $DAT" using 5:6 title "lineage walk, repeated in one connection" with points pt 5 ps 0.8, \
     "< awk '\$4==\"csr_with_build\"' $DAT" using 5:6 title "C BFS on CSR, including building the CSR" with points pt 4 ps 0.8, \
     "< awk '\$4==\"csr\"' $DAT" using 5:6 title "C BFS on CSR (floor)" with points pt 9 ps 0.8
GP
echo "wrote $PNG"
