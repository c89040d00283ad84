#!/bin/sh
# Coverage of the fuzzing corpus: replays target/fuzz-session/{seeds,corpus} (written by
# FuzzSessionTest) under the JaCoCo agent and prints line and branch coverage per package of the
# main code. HTML report: target/fuzz-session/coverage/index.html. See FUZZING.md.
set -eu
cd "$(dirname "$0")/.."
v=0.8.12
repo=${HOME:-/root}/.m2/repository/org/jacoco
mvn -B -q dependency:get -Dartifact=org.jacoco:org.jacoco.agent:$v:jar:runtime >&2
mvn -B -q dependency:get -Dartifact=org.jacoco:org.jacoco.cli:$v:jar:nodeps >&2
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
    -Dmdep.includeScope=test >&2
w=target/fuzz-session
[ -d $w/corpus ] || { echo "fuzz-coverage: no $w/corpus; run FuzzSessionTest first" >&2; exit 1; }
rm -f $w/jacoco.exec
java -javaagent:$repo/org.jacoco.agent/$v/org.jacoco.agent-$v-runtime.jar=destfile=$w/jacoco.exec,includes=org.preresolver.* \
    -Xmx2g -Dlkmpr.projectDir="$PWD" -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
    org.preresolver.fuzz.FuzzCorpusReplay $w/seeds $w/corpus
java -jar $repo/org.jacoco.cli/$v/org.jacoco.cli-$v-nodeps.jar report $w/jacoco.exec --classfiles target/classes \
    --sourcefiles src/main/java --csv $w/coverage.csv --html $w/coverage >&2
# CSV: GROUP,PACKAGE,CLASS,INSTRUCTION_MISSED,INSTRUCTION_COVERED,BRANCH_MISSED,BRANCH_COVERED,LINE_MISSED,LINE_COVERED,...
awk -F, 'NR > 1 { bm[$2] += $6; bc[$2] += $7; lm[$2] += $8; lc[$2] += $9 }
    END { for (p in lc) printf "%-28s lines %5d/%-5d %5.1f%%   branches %5d/%-5d %5.1f%%\n", p, lc[p], lc[p] + lm[p],
          100 * lc[p] / (lc[p] + lm[p]), bc[p], bc[p] + bm[p], (bc[p] + bm[p]) ? 100 * bc[p] / (bc[p] + bm[p]) : 0 }' \
    $w/coverage.csv | sort
