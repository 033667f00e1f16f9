// Writes src/schema.d.ts, the types of openapi/roster.openapi.json, with
// openapi-typescript. With --check it writes nothing and fails when the
// committed file is not what it would write: CI's staleness check.
import { readFileSync, writeFileSync } from "node:fs";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

const documentURL = new URL("../../../openapi/roster.openapi.json", import.meta.url);
const outputURL = new URL("../src/schema.d.ts", import.meta.url);
const output = "clients/typescript/src/schema.d.ts";

const fresh = COMMENT_HEADER + astToString(await openapiTS(documentURL));
if (process.argv.includes("--check")) {
  if (readFileSync(outputURL, "utf8") !== fresh) {
    console.error(`${output} is stale: run \`npm run generate\` in clients/typescript and commit it`);
    process.exit(1);
  }
  console.log(`${output} is up to date with openapi/roster.openapi.json`);
} else {
  writeFileSync(outputURL, fresh);
  console.log(`wrote ${output}`);
}
