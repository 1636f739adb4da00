// Which documents the server is for: Terraform, CloudFormation and SAM templates (YAML or JSON with
// `AWSTemplateFormatVersion` or a top-level `Resources`), `.template` files, CDK output and policy files.
// Kept apart from the `vscode` API so that it is tested with plain Node.

/** File name endings the server always checks. */
export const ALWAYS = [".tf", ".tf.json", ".template", ".cfn"];

/** How much of a YAML or JSON file is looked at to tell whether it is a template or a policy. */
export const SNIFF_BYTES = 8192;

/**
 * Whether a file is one the server checks: by its name, or for YAML and JSON by what it starts with
 * (a CloudFormation or SAM template, a CDK template, an IAM policy document).
 */
export function isIamSource(path: string, head: string): boolean {
  const name = path.toLowerCase();
  if (ALWAYS.some((ending) => name.endsWith(ending)) || name.includes("/cdk.out/")) {
    return true;
  }
  if (!/\.(json|ya?ml)$/.test(name)) {
    return false;
  }
  const text = head.slice(0, SNIFF_BYTES);
  return (
    /["']?AWSTemplateFormatVersion["']?\s*:/.test(text) ||
    /^Resources\s*:/m.test(text) ||
    /^\s*\{[\s\S]*?"Resources"\s*:/.test(text) ||
    /["']?Statement["']?\s*:/.test(text) && /["']?(Not)?Action["']?\s*:/.test(text)
  );
}

/** Restarts within this window count towards the limit. */
export const RESTART_WINDOW_MS = 3 * 60 * 1000;
/** How many crashes in the window are restarted. */
export const MAX_RESTARTS = 5;

/** Crashes seen, to decide whether one more is restarted. */
export class RestartBudget {
  private crashes: number[] = [];

  /** Records a crash at `now`; whether the server is restarted, and the how-manyeth restart it is. */
  crashed(now: number): { restart: boolean; count: number } {
    this.crashes = this.crashes.filter((at) => now - at < RESTART_WINDOW_MS);
    this.crashes.push(now);
    return { restart: this.crashes.length <= MAX_RESTARTS, count: this.crashes.length };
  }

  /** A restart by hand starts afresh. */
  reset(): void {
    this.crashes = [];
  }
}
