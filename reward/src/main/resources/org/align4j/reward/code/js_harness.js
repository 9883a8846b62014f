// align4j unit-test harness (generated run directory, sandboxed). Runs solution.js in a fresh
// context, then each test of tests.json on its own in that context: a test passes when it does not
// throw and its value is not false (so both `add(1, 2) === 3` and `assert.strictEqual(add(1, 2), 3)`
// work). Results are tagged with a nonce read from stdin, which the code under test cannot print.
'use strict';
const fs = require('fs');
const vm = require('vm');

const nonce = fs.readFileSync(0, 'utf8').split('\n')[0].trim();
// fd 1 itself: Node cannot dup(), and reopening /dev/stdout fails for a pipe of another uid.
const reportFd = 1;
function report(...fields) {
  try {
    fs.writeSync(reportFd, '\n' + nonce + ' ' + fields.join(' ') + '\n');
  } catch (e) {
    // the run is being killed
  }
}
function describe(error) {
  let text;
  try {
    text = (error && error.name ? error.name : 'Error') + ': ' + (error && error.message !== undefined ? error.message : String(error));
  } catch (e) {
    text = 'Error';
  }
  return text.split(/\s+/).join(' ').slice(0, 300);
}

const tests = JSON.parse(fs.readFileSync('tests.json', 'utf8'));
const source = fs.readFileSync('solution.js', 'utf8');
const module_ = { exports: {} };
const context = vm.createContext({ console, require, module: module_, exports: module_.exports, assert: require('assert') });
let loaded = true;
try {
  vm.runInContext(source, context, { filename: 'solution.js' });
  // CommonJS exports become globals too, so `module.exports = { add }` works as well as a plain `function add`.
  for (const [name, value] of Object.entries(module_.exports)) {
    if (!(name in context)) context[name] = value;
  }
} catch (error) {
  loaded = false;
  const reason = 'solution failed: ' + describe(error);
  tests.forEach((_, i) => report(String(i), 'FAIL', reason));
}
if (loaded) {
  tests.forEach((test, i) => {
    try {
      const value = vm.runInContext(test, context, { filename: 'test_' + i });
      if (value === false) report(String(i), 'FAIL', 'expression is false');
      else report(String(i), 'PASS');
    } catch (error) {
      report(String(i), 'FAIL', describe(error));
    }
  });
}
report('DONE');
process.exit(0);
