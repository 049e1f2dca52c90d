#!/usr/bin/env bash
# The module map as a test: every #include "DIR/..." in a module must name a module it may
# depend on. Lower modules never include higher ones; the node (core) and the listener side
# (client) never include each other; the dashboard (monitor, ui) reaches nodes only over HTTP,
# and listens like any listener (player, over the stream's WebSocket).
#   tests/layering.sh SOURCE_DIR
set -uo pipefail
cd "${1:?usage: tests/layering.sh SOURCE_DIR}"
declare -A allowed=(
  [synth]="synth"
  [protocol]="protocol synth"
  [core]="core protocol synth"
  [client]="client protocol synth"
  [monitor]="monitor"
  [player]="player client protocol synth"
  [ui]="ui monitor player"
  [app]="app ui monitor player core client protocol synth"
)
status=0
for module in "${!allowed[@]}"; do
  while IFS=: read -r file line include; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$include")
    if [[ " ${allowed[$module]} " != *" $target "* ]]; then
      echo "layering: $file:$line: $module may not include $target ($include)"
      status=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "$module" --include='*.h' --include='*.cpp' --include='*.cu' | sed -E 's/^([^:]+):([0-9]+):(.*)$/\1:\2:\3/')
done
[ "$status" -eq 0 ] && echo "layering: every module includes only what it may (${!allowed[*]})"
exit "$status"
