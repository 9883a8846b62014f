#!/usr/bin/env bash
# Stages what a GPU machine without Java needs to run align4j's GPU tests, a GRPO run and the benchmarks,
# in two parts of under 64 MiB each (the device tool's limit per call; the 140 MB fat jar is far over it):
#   OUT_DIR/a  the jlink'ed JRE and ND4J's 323 MB CPU library, stripped and xz-compressed (26 MB)
#   OUT_DIR/b  the thin runtime classpath (module jars and dependencies, rewritten uncompressed so that
#              xz packs them well), the test classes, a tiny GRPO setup, run.sh and the PyTorch benchmark
# Part a is carried by one call and copied to /tmp there, part b by the next while the machine is warm;
# bench/gpu/run.sh unpacks both and runs. Usage: bench/gpu/stage.sh OUT_DIR
set -euo pipefail
out=${1:?usage: stage.sh OUT_DIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
mvn -q -B -o -pl cli,grpo -am -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
mkdir -p "$work/a4j/lib" "$work/a4j/natives"
nd4j_natives=
for j in $(tr ':' '\n' < cli/target/cp.txt); do
  case "$j" in
    *nd4j-native-*-linux-x86_64.jar) nd4j_natives=$j ;;
    *junit*|*opentest4j*|*apiguardian*) ;;
    # align4j's own test jars: the test classes travel as directories below, and a test jar ahead of them on the
    # classpath made getResource("/hf/...") answer with jar: URLs the fixture loader cannot open as files
    */align4j-*-tests.jar) ;;
    *) cp "$j" "$work/a4j/lib/" ;;
  esac
done
cp cli/target/align4j-cli-*.jar "$work/a4j/lib/"
m2=${M2_REPO:-$HOME/.m2/repository}
cp "$m2/org/junit/platform/junit-platform-console-standalone/1.10.3/junit-platform-console-standalone-1.10.3.jar" "$work/a4j/"
# Test classes as directories: the conformance fixtures are read as files.
cp -r policy/target/test-classes "$work/a4j/policy-test-classes"
rm -rf "$work/a4j/policy-test-classes/tokenizers" # tokenizer fixtures: not used by the GPU tests
cp -r grpo/target/test-classes "$work/a4j/grpo-test-classes"
# A tiny policy over the GRPO tests' 17-token digits tokenizer, its prompts and a config (as GrpoTrainerTest).
g=$work/a4j/grpo
mkdir -p "$g"
cat > "$work/tiny.jsh" <<'JSH'
var m = org.align4j.policy.model.CausalLM.initialize(org.align4j.policy.model.ModelConfig.llama(17, 16, 32, 1, 2, 1,
        64, null, new int[] {16}), org.nd4j.linalg.api.buffer.DataType.FLOAT, 3);
org.align4j.policy.model.HfCheckpoint.save(m, java.nio.file.Paths.get(System.getProperty("dir")),
        java.nio.file.Paths.get(System.getProperty("tok")));
/exit
JSH
jshell --class-path "$(cat cli/target/cp.txt)" -R-Ddir="$g/policy" -R-Dtok="$here/grpo/src/test/resources/digits" \
    "$work/tiny.jsh" >/dev/null 2>&1
for p in ab cd ef ba dc fe ac bd; do echo "{\"prompt\": \"$p\"}"; done > "$g/prompts.jsonl"
cat > "$g/grpo.yaml" <<'YAML'
model_name_or_path: policy
train_file: prompts.jsonl
output_dir: run
num_generations: 8
batch_size: 16
gradient_accumulation_steps: 2
max_completion_length: 6
learning_rate: 0.02
max_steps: 25
logging_steps: 1
save_steps: 0
rewards:
  - class: org.align4j.grpo.DigitShareReward
YAML
# ND4J's natives jar without its big library; the library goes on the classpath as a directory entry.
so=org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64/libnd4jcpu.so
(cd "$work" && unzip -q "$nd4j_natives" -d nd && mkdir -p "a4j/natives/$(dirname $so)" \
   && mv "nd/$so" "$work/libnd4jcpu.so" && (cd nd && jar cf "$work/a4j/lib/$(basename "$nd4j_natives")" .))
strip --strip-unneeded "$work/libnd4jcpu.so"
/work/shared/tools/jre-for-gpu-machine.sh "$work/jre" java.xml,java.sql,java.naming,java.desktop >/dev/null
cp bench/gpu/run.sh bench/torch_gpu_bench.py "$work/a4j/"
# The GPU machine has no freetype or fonts, which the metrics plot (java.desktop) needs: this machine's
# libraries (put beside the JRE's libfontmanager, and on LD_LIBRARY_PATH for its dlopen of fontconfig) and
# DejaVu Sans, which run.sh's fonts.conf names.
mkdir -p "$work/a4j/syslib" "$work/a4j/fonts"
for l in libfontconfig.so.1 libexpat.so.1 libfreetype.so.6 libharfbuzz.so.0 libgraphite2.so.3 libglib-2.0.so.0 libpcre2-8.so.0 libpng16.so.16 \
         libbrotlidec.so.1 libbrotlicommon.so.1; do
  cp -L "/lib/x86_64-linux-gnu/$l" "$work/a4j/syslib/"
done
cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf "$work/a4j/fonts/"
# Jars rewritten uncompressed: xz then packs their classes and libraries several times smaller.
python3 - "$work/a4j" <<'PY'
import glob, os, sys, zipfile
for jar in glob.glob(os.path.join(sys.argv[1], "**", "*.jar"), recursive=True):
    tmp = jar + ".stored"
    with zipfile.ZipFile(jar) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            info.compress_type = zipfile.ZIP_STORED
            dst.writestr(info, data)
    os.replace(tmp, jar)
PY
mkdir -p "$out/a" "$out/b"
(cd "$work" && tar cf - a4j | xz ${A4J_XZ_LEVEL:--9} -T2 > "$out/b/a4j.tar.xz")
(cd "$work" && tar cf - jre | xz ${A4J_XZ_LEVEL:--9} -T2 > "$out/a/jre.tar.xz")
cp policy/src/main/resources/org/align4j/policy/ops/cuda/kernels.cu "$out/a/"
cp bench/gpu/run.sh "$out/b/"
# xz -9 of 300 MB takes minutes on two cores: kept between stagings (ND4J's version is pinned).
if [[ ! -f $out/a/libnd4jcpu.so.xz ]]; then
  xz -9 -T2 -c "$work/libnd4jcpu.so" > "$out/a/libnd4jcpu.so.xz"
fi
du -sh "$out"/*/*
