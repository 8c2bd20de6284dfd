// Evaluates cases.json with the jsonata package installed next to this script's caller
// (.ci/jsonata-reference installs jsonata@2.0.6) and prints one result per expression:
// {"expr", "value"} or {"expr", "undefined": true} or {"expr", "error": "<JSONata code>"}.
// Usage: node record.mjs <path to jsonata's package folder> cases.json > jsonata-js-2.0.6.json
import fs from 'fs';
import path from 'path';
import { pathToFileURL } from 'url';

const [jsonataDir, casesFile] = process.argv.slice(2);
const { default: jsonata } = await import(pathToFileURL(path.join(jsonataDir, 'jsonata.js')).href);
const cases = JSON.parse(fs.readFileSync(casesFile, 'utf8'));
const results = [];
for (const text of cases.expressions) {
  const result = { expr: text };
  try {
    // As in Step Functions: no top-level input, `$states.input` bound.
    const value = await jsonata(text).evaluate(undefined, { states: { input: cases.input } });
    if (value === undefined) result.undefined = true;
    else result.value = JSON.parse(JSON.stringify(value));
  } catch (e) {
    result.error = e.code || String(e.message || e);
  }
  results.push(result);
}
console.log(JSON.stringify(results, null, 1));
