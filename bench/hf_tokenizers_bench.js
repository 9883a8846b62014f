// Times Hugging Face tokenizers (the Rust library, through its official Node bindings: npm package
// "tokenizers") on the documents written by `align4j tokenizer bench --write-text FILE.json`, the same
// way align4j's bench does: one untimed pass, then timed passes of encode() document by document,
// add_special_tokens off; the fastest pass counts. MB = 10^6 bytes of UTF-8. Like align4j's bench it also
// reports MB per CPU-second of the whole process, which stays meaningful on a shared machine.
//
//   npm install --prefix /tmp/hf tokenizers
//   NODE_PATH=/tmp/hf/node_modules node bench/hf_tokenizers_bench.js TOKENIZER.json DOCS.json [PASSES]
//
// tokenizer.json must be uncompressed (gunzip -k tokenizer.json.gz). Also reports encodeBatch, which
// spreads the documents over all cores (Rust threads), as a separate number.
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [tokenizerPath, docsPath, passesArg] = process.argv.slice(2);
  if (!tokenizerPath || !docsPath) {
    console.error('usage: node hf_tokenizers_bench.js TOKENIZER.json DOCS.json [PASSES]');
    process.exit(2);
  }
  const passes = Number(passesArg || 3);
  const loadStart = process.hrtime.bigint();
  const tok = Tokenizer.fromFile(tokenizerPath);
  const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;
  const docs = JSON.parse(fs.readFileSync(docsPath, 'utf8'));
  const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, 'utf8'), 0);

  const encodeAll = async () => {
    let tokens = 0;
    for (const d of docs) {
      const e = await tok.encode(d, null, { addSpecialTokens: false });
      tokens += e.getIds().length;
    }
    return tokens;
  };
  const tokens = await encodeAll(); // warm-up
  const seconds = [];
  let bestCpu = Infinity;
  for (let p = 0; p < passes; p++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await encodeAll();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const cpu = process.cpuUsage(cpu0);
    bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1e6);
  }
  const b0 = process.hrtime.bigint();
  await tok.encodeBatch(docs, { addSpecialTokens: false });
  const batchSeconds = Number(process.hrtime.bigint() - b0) / 1e9;
  const best = Math.min(...seconds);
  console.log(JSON.stringify({
    tokenizer: tokenizerPath,
    implementation: `HF tokenizers ${require('tokenizers/package.json').version} (Rust, Node ${process.version})`,
    bytes, documents: docs.length, tokens,
    load_seconds: +loadSeconds.toFixed(3),
    pass_seconds: seconds.map(s => +s.toFixed(3)),
    mb_per_s: +(bytes / 1e6 / best).toFixed(3),
    mb_per_cpu_s: +(bytes / 1e6 / bestCpu).toFixed(3),
    batch_all_cores_mb_per_s: +(bytes / 1e6 / batchSeconds).toFixed(3),
  }));
}
main().catch(e => { console.error(e); process.exit(1); });
