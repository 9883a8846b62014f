#!/usr/bin/env bash
# Runs on the GPU machine (CUDA 13, PyTorch, no Java), from the two parts bench/gpu/stage.sh packed:
#   run.sh PART_A_DIR PART_B_DIR STEP...
# steps: tests grpo peaks bench-small bench-100m bench-bf16 bench-profile torch-small torch-100m torch-bf16 nocuda
# Logs and JSON results go to /tmp/a4j-out, packed after every step into $OUT/logs.tgz (the device tool
# returns at most 8 files). Each step runs even when an earlier one failed.
set -uo pipefail
parta=$(cd "${1:?usage: run.sh PART_A_DIR PART_B_DIR STEP...}" && pwd)
partb=$(cd "${2:?usage: run.sh PART_A_DIR PART_B_DIR STEP...}" && pwd)
shift 2
out=/tmp/a4j-out
mkdir -p "$out"
pack() { [[ -n ${OUT:-} ]] && tar czf "$OUT/logs.tgz" -C /tmp a4j-out; }
w=/tmp/a4j-run
a=$w/a4j
so=$a/natives/org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libnd4jcpu.so
if [[ ! -x $a/jre/bin/java ]]; then
  mkdir -p "$w"
  python3 - "$parta" "$partb" "$w" "$so" <<'PY'
import lzma, os, shutil, sys, tarfile
parta, partb, w, so = sys.argv[1:]
with lzma.open(os.path.join(partb, "a4j.tar.xz")) as f, tarfile.open(fileobj=f) as t:
    t.extractall(w)
with lzma.open(os.path.join(parta, "jre.tar.xz")) as f, tarfile.open(fileobj=f) as t:
    t.extractall(os.path.join(w, "a4j"))
os.makedirs(os.path.dirname(so), exist_ok=True)
with lzma.open(os.path.join(parta, "libnd4jcpu.so.xz")) as src, open(so, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 24)
PY
  mkdir -p "$a/jre/lib/fonts" && cp "$a"/syslib/* "$a/jre/lib/" && cp "$a"/fonts/* "$a/jre/lib/fonts/"
fi
# Jars rebuilt since staging (PART_B_DIR/patch/*.jar) replace their namesakes; patch/syslib adds libraries.
if compgen -G "$partb/patch/*.jar" > /dev/null; then cp "$partb"/patch/*.jar "$a/lib/"; fi
if [[ -d $partb/patch/syslib ]]; then cp "$partb"/patch/syslib/* "$a/jre/lib/"; fi
if [[ -d $partb/patch/policy-test-classes ]]; then cp -r "$partb"/patch/policy-test-classes/. "$a/policy-test-classes/"; fi
# No fontconfig set-up on the machine: one that knows only the carried fonts (the metrics plot draws text).
printf '<?xml version="1.0"?>\n<fontconfig><dir>%s</dir><cachedir>%s</cachedir></fontconfig>\n' \
  "$a/jre/lib/fonts" "$w/fccache" > "$a/fonts.conf"
for d in /usr/local/cuda/lib64 /usr/local/cuda-13.0/targets/x86_64-linux/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  if [[ -e $d/libcudart.so.13 ]]; then export LD_LIBRARY_PATH=$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; break; fi
done
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-8}
java=$a/jre/bin/java
cp="$a/natives:$a/lib/*"
jopts=(-Xmx24g -XX:+UseParallelGC -Djava.awt.headless=true -Dorg.bytedeco.javacpp.logger=slf4j
       -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.bytedeco.javacpp.Loader=error)
# A4J_JAVA_OPTS adds JVM options, e.g. a larger off-heap limit for a model whose float32 host copy passes the 24 GB
# JavaCPP allows by default (-Xmx): bench/gpu/deepseek-v2-lite.sh sets it for a 15.7B model (58.5 GiB).
if [[ -n ${A4J_JAVA_OPTS:-} ]]; then read -ra extra_jopts <<< "$A4J_JAVA_OPTS"; jopts+=("${extra_jopts[@]}"); fi
align4j() { LD_LIBRARY_PATH=$a/jre/lib:$LD_LIBRARY_PATH FONTCONFIG_FILE=$a/fonts.conf "$java" "${jopts[@]}" -cp "$cp:$a/grpo-test-classes" org.align4j.cli.Align4j "$@"; }
log() { echo "== $(date +%T) $*" | tee -a "$out/steps.log"; }

for step in "$@"; do
  log "$step"
  case $step in
    tests)
      "$java" "${jopts[@]}" -cp "$cp:$a/policy-test-classes:$a/junit-platform-console-standalone-1.10.3.jar" \
        org.junit.platform.console.ConsoleLauncher --disable-banner --details=tree \
        --scan-classpath "$a/policy-test-classes" --include-classname '.*\.Cuda[A-Za-z0-9]*Test' \
        > "$out/tests.log" 2>&1
      echo "tests rc=$?" | tee -a "$out/steps.log"
      grep -E "tests (successful|failed|skipped)|✘|on cuda" "$out/tests.log" | head -40
      ;;
    grpo)
      g=$w/grpo && rm -rf "$g" && cp -r "$a/grpo" "$g"
      (cd "$g" && align4j grpo --device cuda --config grpo.yaml > "$out/grpo.log" 2>&1)
      echo "grpo rc=$?" | tee -a "$out/steps.log"
      tail -3 "$out/grpo.log"
      cp "$g/run/metrics.jsonl" "$out/grpo-metrics.jsonl" 2>/dev/null
      python3 - "$g/run/metrics.jsonl" <<'PY' 2>/dev/null
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rw = [r["reward"] for r in rows if "reward" in r]
print(f"grpo: {len(rows)} steps, reward first 3 {sum(rw[:3])/3:.3f} -> last 3 {sum(rw[-3:])/3:.3f}")
PY
      ;;
    bench-small)
      align4j bench --device cuda --json --repeats 5 > "$out/bench-small.json" 2> "$out/bench-small.err"; tail -c 1500 "$out/bench-small.json" ;;
    bench-100m)
      align4j bench --device cuda --json --repeats 5 --d 768 --layers 12 --heads 12 --kv-heads 12 --ffn 2048 --vocab 32000 \
        > "$out/bench-100m.json" 2> "$out/bench-100m.err"; tail -c 1500 "$out/bench-100m.json" ;;
    bench-bf16)
      ALIGN4J_CUDA_BF16=1 align4j bench --device cuda --json --repeats 5 --d 768 --layers 12 --heads 12 --kv-heads 12 --ffn 2048 \
        --vocab 32000 > "$out/bench-100m-bf16.json" 2> "$out/bench-100m-bf16.err"; tail -c 1500 "$out/bench-100m-bf16.json" ;;
    bench-profile)
      align4j bench --device cuda --json --repeats 5 --profile --d 768 --layers 12 --heads 12 --kv-heads 12 --ffn 2048 \
        --vocab 32000 > "$out/bench-100m-profile.json" 2>&1; tail -c 3000 "$out/bench-100m-profile.json" ;;
    torch-small)
      python3 "$a/torch_gpu_bench.py" > "$out/torch-small.json" 2> "$out/torch-small.err"; cat "$out/torch-small.json" ;;
    torch-bf16)
      python3 "$a/torch_gpu_bench.py" --bf16 --d 768 --layers 12 --heads 12 --kv-heads 12 --ffn 2048 --vocab 32000 \
        > "$out/torch-100m-bf16.json" 2> "$out/torch-100m-bf16.err"; cat "$out/torch-100m-bf16.json" ;;
    torch-100m)
      python3 "$a/torch_gpu_bench.py" --d 768 --layers 12 --heads 12 --kv-heads 12 --ffn 2048 --vocab 32000 \
        > "$out/torch-100m.json" 2> "$out/torch-100m.err"; cat "$out/torch-100m.json" ;;
    bench=*)
      # bench=NAME runs `align4j bench --device cuda --json` with the words of $BENCH_ARGS_NAME (NAME upper-cased,
      # '-' as '_'), e.g. BENCH_ARGS_QWEN05="--d 896 ...": one step per shape, logs named after it.
      name=${step#bench=}; var=BENCH_ARGS_$(echo "$name" | tr 'a-z-' 'A-Z_')
      align4j bench --device cuda --json ${!var} > "$out/bench-$name.json" 2> "$out/bench-$name.err"
      echo "bench-$name rc=$?" | tee -a "$out/steps.log"; tail -c 2500 "$out/bench-$name.json"; tail -3 "$out/bench-$name.err" ;;
    torch=*)
      # torch=NAME runs bench/torch_gpu_bench.py with the words of $TORCH_ARGS_NAME (from the repository copy when
      # there is one, so a newer script than the staged one can be used).
      name=${step#torch=}; var=TORCH_ARGS_$(echo "$name" | tr 'a-z-' 'A-Z_')
      script=$a/torch_gpu_bench.py; [[ -f bench/torch_gpu_bench.py ]] && script=bench/torch_gpu_bench.py
      python3 "$script" ${!var} > "$out/torch-$name.json" 2> "$out/torch-$name.err"
      echo "torch-$name rc=$?" | tee -a "$out/steps.log"; cat "$out/torch-$name.json"; tail -3 "$out/torch-$name.err" ;;
    peaks)
      # The GPU's bf16 GEMM rate and copy bandwidth, the denominators of MFU and of the decoding bound.
      script=$a/peaks.py; [[ -f bench/gpu/peaks.py ]] && script=bench/gpu/peaks.py
      python3 "$script" > "$out/peaks.json" 2> "$out/peaks.err"; cat "$out/peaks.json"; tail -3 "$out/peaks.err" ;;
    nocuda)
      # The error where no GPU is visible.
      CUDA_VISIBLE_DEVICES= align4j bench --device cuda 2>&1 | tail -2 ;;
    *) echo "unknown step $step" ;;
  esac
  pack
done
