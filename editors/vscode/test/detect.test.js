// The detection of what the server checks, and the restart budget, on plain Node (`npm test`).
const test = require("node:test");
const assert = require("node:assert");
const { isIamSource, RestartBudget, MAX_RESTARTS, RESTART_WINDOW_MS } = require("../dist/test/detect.js");

test("files the server always checks, by name", () => {
  for (const path of ["/w/main.tf", "/w/a.tf.json", "/w/stack.template", "/w/app.cfn", "/w/cdk.out/App.template.json"]) {
    assert.ok(isIamSource(path, ""), path);
  }
});

test("YAML and JSON only when they are templates or policies", () => {
  assert.ok(isIamSource("/w/t.yaml", 'AWSTemplateFormatVersion: "2010-09-09"\n'));
  assert.ok(isIamSource("/w/sam.yml", "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn: {}\n"));
  assert.ok(isIamSource("/w/t.json", '{\n  "Resources": {\n    "Role": {}\n  }\n}'));
  assert.ok(isIamSource("/w/policy.json", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}'));
  assert.ok(!isIamSource("/w/package.json", '{"name": "x", "dependencies": {}}'));
  assert.ok(!isIamSource("/w/.github/workflows/ci.yml", "on: push\njobs:\n  build: {}\n"));
  assert.ok(!isIamSource("/w/notes.txt", "AWSTemplateFormatVersion: x"));
});

test("crashes are restarted up to the limit within the window", () => {
  const budget = new RestartBudget();
  for (let i = 1; i <= MAX_RESTARTS; i++) {
    assert.deepStrictEqual(budget.crashed(i * 1000), { restart: true, count: i });
  }
  assert.strictEqual(budget.crashed(10_000).restart, false);
  // Long after, a crash is restarted again.
  assert.strictEqual(budget.crashed(10_000 + RESTART_WINDOW_MS + 1).restart, true);
  budget.reset();
  assert.deepStrictEqual(budget.crashed(0), { restart: true, count: 1 });
});
