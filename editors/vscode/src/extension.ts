// iamprune for VS Code: `iamprune server` through vscode-languageclient. The server is started once a
// file it checks is open (or the workspace has an iamprune.toml, Terraform, `.template` or CDK output);
// it is restarted when it crashes, up to a limit, and the user is told either way.

import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

import { MAX_RESTARTS, RestartBudget, SNIFF_BYTES, isIamSource } from "./detect";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
const budget = new RestartBudget();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("iamprune");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("iamprune.restartServer", async () => {
      budget.reset();
      await stop();
      await start();
    }),
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      // The executable itself cannot change under a running server; the other settings are sent to it.
      if (event.affectsConfiguration("iamprune.path") && client) {
        await stop();
        await start();
      }
    }),
  );

  // Activated by a YAML or JSON file: started only once one is a template or a policy.
  if (await workspaceHasSources()) {
    await start();
    return;
  }
  const startFor = async (document: vscode.TextDocument) => {
    if (!client && document.uri.scheme === "file" && isIamSource(document.uri.path, document.getText().slice(0, SNIFF_BYTES))) {
      await start();
    }
  };
  context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(startFor));
  for (const document of vscode.workspace.textDocuments) {
    await startFor(document);
  }
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function workspaceHasSources(): Promise<boolean> {
  const globs = ["**/iamprune.toml", "**/*.tf", "**/*.template", "**/cdk.out/*.template.json"];
  for (const glob of globs) {
    if ((await vscode.workspace.findFiles(glob, "**/node_modules/**", 1)).length > 0) {
      return true;
    }
  }
  return false;
}

/** What the server is given as its settings: the `iamprune.*` settings it reads. */
function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("iamprune");
  return {
    findings: config.get("findings", []),
    deployments: config.get("deployments", []),
    config: config.get("config", null) ?? undefined,
    severity: config.get("severity", {}),
    acceptCatalogAge: config.get("acceptCatalogAge", false),
    workspaceDiagnostics: config.get("workspaceDiagnostics", true),
  };
}

async function start(): Promise<void> {
  if (client) {
    return;
  }
  const command = vscode.workspace.getConfiguration("iamprune").get("path", "iamprune");
  const serverOptions: ServerOptions = { command, args: ["server"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", pattern: "**/*.{tf,tf.json,template,cfn}" },
      { scheme: "file", language: "terraform" },
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "json" },
      { scheme: "file", language: "jsonc" },
    ],
    outputChannel: output,
    initializationOptions: serverSettings(),
    // Settings changes go to the server as `workspace/didChangeConfiguration` under `iamprune`.
    synchronize: { configurationSection: "iamprune" },
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        const { restart, count } = budget.crashed(Date.now());
        if (restart) {
          return {
            action: CloseAction.Restart,
            message: `The iamprune server stopped; restarting it (${count} of ${MAX_RESTARTS} in 3 minutes). See the iamprune output for why.`,
          };
        }
        return {
          action: CloseAction.DoNotRestart,
          message: `The iamprune server stopped ${count} times in 3 minutes and is not restarted. See the iamprune output, then run "iamprune: Restart the language server".`,
        };
      },
    },
  };
  client = new LanguageClient("iamprune", "iamprune", serverOptions, clientOptions);
  client.onDidChangeState((event) => {
    if (event.newState === State.Stopped) {
      output?.appendLine("iamprune: the server stopped");
    }
  });
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    void vscode.window.showErrorMessage(
      `iamprune: cannot start \`${command} server\`: ${String(error)}. Set iamprune.path to the iamprune executable.`,
    );
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}
