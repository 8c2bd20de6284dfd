// Evaluations per second of jsonata-js on cases.json, as Step Functions evaluates a field
// (`$states.input` bound, no top-level input): each expression compiled once, then every
// expression evaluated in turn for about three seconds; the median of five such rounds.
// Usage: node bench.mjs <path to jsonata's package folder> cases.json
import fs from 'fs';
import path from 'path';
import { pathToFileURL } from 'url';

const [jsonataDir, casesFile] = process.argv.slice(2);
const { default: jsonata } = await import(pathToFileURL(path.join(jsonataDir, 'jsonata.js')).href);
const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
const compiled = cases.expressions.map((e) => jsonata(e));
const bindings = { states: { input: cases.input } };
const rounds = [];
for (let round = 0; round < 5; round++) {
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 600_000_000n) {
    for (const expr of compiled) {
      await expr.evaluate(undefined, bindings);
      n++;
    }
    elapsed = process.hrtime.bigint() - start;
  }
  rounds.push(n / (Number(elapsed) / 1e9));
}
rounds.sort((a, b) => a - b);
console.log(JSON.stringify({ evaluationsPerSecond: Math.round(rounds[2]), expressions: compiled.length }));
