#!/bin/sh
# End-to-end test of the sofax CLI: each subcommand on a small input writes its output and exits
# 0; bad files and bad options exit non-zero with a message naming the file or option.
#   cli_test.sh <sofax executable> <mesh dir> <scratch dir>
sofax="$1"; meshes="$2"; out="$3"
rm -rf "$out" && mkdir -p "$out" || exit 1
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

# expect_ok <output file> <args...>: exit 0 (converged) and the file written.
expect_ok() {
  file="$1"; shift
  "$sofax" "$@" > "$out/log.txt" 2>&1 || { cat "$out/log.txt"; fail "sofax $* exited $?"; return; }
  [ -s "$file" ] || fail "sofax $* did not write $file"
}
# expect_error <text the message must contain> <args...>: exit ≠ 0 and the text on stderr/stdout.
expect_error() {
  text="$1"; shift
  if "$sofax" "$@" > "$out/log.txt" 2>&1; then fail "sofax $* exited 0"; return; fi
  grep -q -- "$text" "$out/log.txt" || { cat "$out/log.txt"; fail "sofax $*: no '$text' in the message"; }
}

# A small disk: a 3×3 grid of vertices on a bump, as OFF.
cat > "$out/disk.off" <<'END'
OFF
9 8 0
-1 -1 0
0 -1 0.2
1 -1 0
-1 0 0.2
0 0 0.5
1 0 0.2
-1 1 0
0 1 0.2
1 1 0
3 0 1 4
3 0 4 3
3 1 2 5
3 1 5 4
3 3 4 7
3 3 7 6
3 4 5 8
3 4 8 7
END

expect_ok "$out/disk_uv.obj" param "$out/disk.off" -o "$out/disk_uv.obj"
grep -q '^vt ' "$out/disk_uv.obj" || fail "param output has no vt lines"
expect_ok "$out/knight_arap.obj" arap "$meshes/decimated-knight.off" -o "$out/knight_arap.obj" --tolerance 0.01
expect_ok "$out/knight_smooth.vtu" smooth "$meshes/decimated-knight.off" -o "$out/knight_smooth.vtu" --steps 2
expect_ok "$out/grid.vtu" statics --grid 2 -o "$out/grid.vtu"
grep -q 'displacement' "$out/grid.vtu" || fail "statics output has no displacement field"
echo '{"handles": [{"vertices": [0, 1, 2]}, {"vertices": [400], "translation": [0, 0.1, 0]}]}' > "$out/h.json"
expect_ok "$out/knight_h.obj" arap "$meshes/decimated-knight.off" --handles "$out/h.json" -o "$out/knight_h.obj" \
  --tolerance 0.05
"$sofax" --help > /dev/null 2>&1 || fail "--help exited non-zero"
"$sofax" statics --help > /dev/null 2>&1 || fail "statics --help exited non-zero"

expect_error "missing.off" param "$out/missing.off" -o "$out/x.obj"
printf 'OFF\n3 1 0\n0 0 0\n1 0 0\n' > "$out/truncated.off"
expect_error "truncated.off" smooth "$out/truncated.off" -o "$out/x.obj"
expect_error "no boundary" param "$meshes/decimated-knight.off" -o "$out/x.obj"
expect_error "unsupported output format" param "$out/disk.off" -o "$out/x.ply"
expect_error "--grid" statics --grid -3 -o "$out/x.vtu"
expect_error "--mesh/--grid" statics -o "$out/x.vtu"
expect_error "--frobnicate" smooth "$out/disk.off" -o "$out/x.obj" --frobnicate
expect_error "no tetrahedra" statics --mesh "$out/disk.off" -o "$out/x.vtu"
echo '{"handles": [{"vertices": [0, -4]}]}' > "$out/bad.json"
expect_error "/handles/0/vertices/1" arap "$meshes/decimated-knight.off" --handles "$out/bad.json" -o "$out/x.obj"
expect_error "Poisson" statics --grid 2 --poisson-ratio 0.7 -o "$out/x.vtu"

# Scenes: validate and a short run write a complete series; a bad scene exits 1 and creates no
# output folder (it is checked, and its model built, before anything is written).
scenes="$(dirname "$0")/../../examples/scenes"
fixtures="$(dirname "$0")/../scene/fixtures"
"$sofax" validate "$scenes/cantilever.json" > "$out/log.txt" 2>&1 || { cat "$out/log.txt"; fail "validate cantilever.json"; }
grep -q "189 nodes" "$out/log.txt" || fail "validate prints no summary"
expect_ok "$out/cantilever/cantilever.pvd" run "$scenes/cantilever.json" -o "$out/cantilever" --duration 0.1 --resolution 0.5
[ -s "$out/cantilever/cantilever_000003.vtu" ] || fail "run wrote no frame 3"
[ "$(wc -l < "$out/cantilever/log.jsonl")" -eq 4 ] || fail "run log.jsonl has not 1 + 3 lines"
grep -q "paraview $out/cantilever/cantilever.pvd" "$out/log.txt" || fail "run does not say how to view the output"
# A contact scene: the progress line names the contacts, the colliders are written beside the frames.
expect_ok "$out/sphere/cloth.pvd" run "$scenes/cloth_on_sphere.json" -o "$out/sphere" --duration 0.3 --resolution 0.25
grep -q "contacts [0-9]*  d_min" "$out/log.txt" || { cat "$out/log.txt"; fail "run prints no contact statistics"; }
[ -s "$out/sphere/cloth_colliders_000009.vtu" ] || fail "run wrote no colliders for frame 9"
grep -q 'part="1" file="cloth_colliders_000009.vtu"' "$out/sphere/cloth.pvd" || fail "the .pvd does not list the colliders"
grep -q '"contact":{"active"' "$out/sphere/log.jsonl" || fail "log.jsonl has no contact record"
for bad in "$fixtures"/bad_*.json; do
  name=$(basename "$bad" .json)
  "$sofax" run "$bad" -o "$out/$name" > "$out/log.txt" 2>&1
  rc=$?
  [ "$rc" -eq 1 ] || { cat "$out/log.txt"; fail "sofax run $name exited $rc, expected 1"; }
  grep -q "$name.json" "$out/log.txt" || { cat "$out/log.txt"; fail "sofax run $name: the message does not name the file"; }
  [ -e "$out/$name" ] && fail "sofax run $name created its output folder"
  "$sofax" validate "$bad" > /dev/null 2>&1 && fail "sofax validate $name exited 0"
done
expect_error "/constraints/pin/0/selection" validate "$fixtures/bad_unknown_selection.json"
expect_error "no_such_scene.json" run "$out/no_such_scene.json" -o "$out/none"

# Problems: gradcheck passes on the cage (exit 0) and fails (exit 4) when its tolerance is below
# rounding; optimize writes metrics, parameters and the final simulation; a bad problem exits 1.
problems="$(cd "$(dirname "$0")/../../examples/problems" && pwd)"
"$sofax" gradcheck "$problems/spring_cage.json" > "$out/log.txt" 2>&1 || { cat "$out/log.txt"; fail "gradcheck spring_cage.json"; }
grep -q "gradient check passed" "$out/log.txt" || fail "gradcheck prints no verdict"
sed 's|"scene": "spring_cage_scene.json"|"scene": "'"$problems"'/spring_cage_scene.json"|; s|"gradcheck": {|"gradcheck": {"rtol": 1e-30, |' \
  "$problems/spring_cage.json" > "$out/strict_cage.json"
"$sofax" gradcheck "$out/strict_cage.json" > "$out/log.txt" 2>&1
rc=$?
[ "$rc" -eq 4 ] || { cat "$out/log.txt"; fail "gradcheck with rtol 1e-30 exited $rc, expected 4"; }
expect_ok "$out/cage/parameters.json" optimize "$problems/spring_cage.json" -o "$out/cage"
[ -s "$out/cage/metrics.jsonl" ] && [ -s "$out/cage/cage.pvd" ] || fail "optimize wrote no metrics or frames"
grep -q '"rest_lengths"' "$out/cage/parameters.json" || fail "parameters.json names no rest_lengths"
sed 's|"kind": "spring_rest_length", "body": "cage"|"kind": "spring_rest_length", "body": "cages"|' "$out/strict_cage.json" > "$out/bad_problem.json"
expect_error "/parameters/0/body" gradcheck "$out/bad_problem.json"

[ "$failures" -eq 0 ] && echo "all CLI checks passed"
exit "$failures"
