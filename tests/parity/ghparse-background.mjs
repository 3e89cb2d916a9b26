#!/usr/bin/env node
// GitHub's workflow parser (@actions/workflow-parser, installed by ../shared/bench/install-peers.sh)
// with its `allowBackgroundSteps` feature on, as github.com runs background steps: the same
// checks as ../shared/bench/ghparse.mjs, for the parity fixtures named `*background*`.
// Usage: node ghparse-background.mjs FILE...   prints FILE:LINE:COL: MESSAGE; exit 1 on errors.
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { pathToFileURL } from "node:url";

// The package imports its schema JSON without an import attribute; serve .json as JSON.
register(
  "data:text/javascript," +
    encodeURIComponent(`
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
export async function load(url, context, next) {
  if (url.startsWith("file:") && url.endsWith(".json")) {
    return { format: "json", source: readFileSync(fileURLToPath(url), "utf8"), shortCircuit: true };
  }
  return next(url, context);
}`),
);

const peers = process.env.PEERS_DIR ?? `${process.env.HOME}/.cache/deploy-action-peers`;
const pkg = `${peers}/node_modules/@actions`;
const imp = (p) => import(pathToFileURL(`${pkg}/${p}`).href);
const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await imp("workflow-parser/dist/index.js");
const { ErrorPolicy } = await imp("workflow-parser/dist/model/convert.js");
const { TemplateContext, TemplateValidationErrors } = await imp("workflow-parser/dist/templates/template-context.js");
const { getWorkflowSchema } = await imp("workflow-parser/dist/workflows/workflow-schema.js");
const { FeatureFlags } = await imp("expressions/dist/features.js");

const featureFlags = new FeatureFlags({ allowBackgroundSteps: true });
let any = false;
for (const file of process.argv.slice(2)) {
  const context = new TemplateContext(new TemplateValidationErrors(), getWorkflowSchema(), new NoOperationTraceWriter());
  context.state.featureFlags = featureFlags;
  const result = parseWorkflow({ name: file, content: readFileSync(file, "utf8") }, context);
  if (result.value !== undefined) {
    await convertWorkflowTemplate(result.context, result.value, undefined, {
      errorPolicy: ErrorPolicy.TryConversion,
      featureFlags,
    });
  }
  for (const e of result.context.errors.getErrors()) {
    any = true;
    const at = e.range?.start ?? { line: 0, column: 0 };
    console.log(`${file}:${at.line}:${at.column}: ${e.rawMessage.replace(/\s*\n+\s*/g, " ")}`);
  }
}
process.exit(any ? 1 : 0);
