// iamprune for VS Code: starts `iamprune server` over stdio and speaks just enough of the language
// server protocol for its diagnostics, quick fixes and hovers. Plain JavaScript on the `vscode` API
// alone, so the folder runs as it is: no npm install, no build step.

"use strict";

const vscode = require("vscode");
const { spawn } = require("child_process");

const EXTENSIONS = [".tf", ".tf.json", ".json", ".yaml", ".yml", ".template"];
const FIX_ALL = vscode.CodeActionKind.SourceFixAll.append("iamprune");

let client = null;
let output = null;

/** One running server and the JSON-RPC plumbing around it. */
class Client {
  constructor(command, cwd, output) {
    this.output = output;
    this.nextId = 1;
    this.pending = new Map();
    this.buffer = Buffer.alloc(0);
    this.diagnostics = vscode.languages.createDiagnosticCollection("iamprune");
    this.trace = vscode.workspace.getConfiguration("iamprune").get("trace.server", false);
    this.process = spawn(command, ["server"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    this.process.on("error", (error) => {
      vscode.window.showErrorMessage(`iamprune: cannot start \`${command} server\`: ${error.message}`);
    });
    this.process.on("exit", (code) => {
      for (const { reject } of this.pending.values()) {
        reject(new Error(`the server exited (${code})`));
      }
      this.pending.clear();
    });
    this.process.stdout.on("data", (chunk) => this.receive(chunk));
    this.process.stderr.on("data", (chunk) => output.append(chunk.toString()));
  }

  send(message) {
    if (this.trace) {
      this.output.appendLine(`--> ${JSON.stringify(message)}`);
    }
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
    this.process.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.process.stdin.write(body);
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ id, method, params });
    });
  }

  notify(method, params) {
    this.send({ method, params });
  }

  /** Splits the byte stream into messages: `Content-Length` counts bytes, not characters. */
  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) {
        return;
      }
      const header = this.buffer.subarray(0, end).toString("ascii");
      const match = /Content-Length: *(\d+)/i.exec(header);
      if (!match) {
        this.buffer = this.buffer.subarray(end + 4);
        continue;
      }
      const length = Number(match[1]);
      if (this.buffer.length < end + 4 + length) {
        return;
      }
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(end + 4 + length);
      let message;
      try {
        message = JSON.parse(body);
      } catch (error) {
        this.output.appendLine(`unreadable message from the server: ${error.message}`);
        continue;
      }
      if (this.trace) {
        this.output.appendLine(`<-- ${body}`);
      }
      this.dispatch(message);
    }
  }

  dispatch(message) {
    if (message.method === undefined) {
      const waiting = this.pending.get(message.id);
      if (waiting) {
        this.pending.delete(message.id);
        if (message.error) {
          waiting.reject(new Error(message.error.message));
        } else {
          waiting.resolve(message.result);
        }
      }
      return;
    }
    if (message.id !== undefined) {
      // Requests from the server (capability registration): the extension watches files itself.
      this.send({ id: message.id, result: null });
      return;
    }
    switch (message.method) {
      case "textDocument/publishDiagnostics":
        this.diagnostics.set(
          vscode.Uri.parse(message.params.uri),
          message.params.diagnostics.map(toDiagnostic),
        );
        break;
      case "window/showMessage":
        (message.params.type === 1
          ? vscode.window.showErrorMessage
          : vscode.window.showWarningMessage)(message.params.message);
        break;
      case "window/logMessage":
        this.output.appendLine(message.params.message);
        break;
      default:
        break;
    }
  }

  async stop() {
    try {
      await Promise.race([
        this.request("shutdown", null),
        new Promise((resolve) => setTimeout(resolve, 2000)),
      ]);
      this.notify("exit", null);
    } catch (error) {
      // Already gone.
    }
    this.process.kill();
    this.diagnostics.dispose();
  }
}

function checked(document) {
  const name = document.uri.path.toLowerCase();
  return document.uri.scheme === "file" && EXTENSIONS.some((ext) => name.endsWith(ext));
}

function toRange(range) {
  return new vscode.Range(
    range.start.line,
    range.start.character,
    range.end.line,
    range.end.character,
  );
}

function fromRange(range) {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}

const SEVERITY = {
  1: vscode.DiagnosticSeverity.Error,
  2: vscode.DiagnosticSeverity.Warning,
  3: vscode.DiagnosticSeverity.Information,
  4: vscode.DiagnosticSeverity.Hint,
};

function toDiagnostic(d) {
  const diagnostic = new vscode.Diagnostic(
    toRange(d.range),
    d.message,
    SEVERITY[d.severity] ?? vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = d.source;
  if (d.code !== undefined) {
    diagnostic.code = d.codeDescription
      ? { value: d.code, target: vscode.Uri.parse(d.codeDescription.href) }
      : d.code;
  }
  if (d.tags && d.tags.includes(1)) {
    diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  }
  if (d.relatedInformation) {
    diagnostic.relatedInformation = d.relatedInformation.map(
      (r) =>
        new vscode.DiagnosticRelatedInformation(
          new vscode.Location(vscode.Uri.parse(r.location.uri), toRange(r.location.range)),
          r.message,
        ),
    );
  }
  return diagnostic;
}

function toWorkspaceEdit(edit) {
  const result = new vscode.WorkspaceEdit();
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    for (const e of edits) {
      result.replace(vscode.Uri.parse(uri), toRange(e.range), e.newText);
    }
  }
  return result;
}

function start() {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const command = vscode.workspace.getConfiguration("iamprune").get("path", "iamprune");
  const c = new Client(command, folder?.uri.fsPath, output);
  c.request("initialize", {
    processId: process.pid,
    clientInfo: { name: "vscode-iamprune" },
    rootUri: folder ? folder.uri.toString() : null,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => ({
      uri: f.uri.toString(),
      name: f.name,
    })),
    capabilities: {
      // VS Code counts columns in UTF-16 code units.
      general: { positionEncodings: ["utf-16"] },
      textDocument: {
        publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true },
        codeAction: {
          codeActionLiteralSupport: {
            codeActionKind: { valueSet: ["quickfix", "source.fixAll"] },
          },
          isPreferredSupport: true,
        },
        hover: { contentFormat: ["markdown", "plaintext"] },
      },
    },
  })
    .then(() => {
      c.notify("initialized", {});
      for (const document of vscode.workspace.textDocuments) {
        open(c, document);
      }
    })
    .catch((error) => output.appendLine(`initialize failed: ${error.message}`));
  return c;
}

function open(c, document) {
  if (!checked(document)) {
    return;
  }
  c.notify("textDocument/didOpen", {
    textDocument: {
      uri: document.uri.toString(),
      languageId: document.languageId,
      version: document.version,
      text: document.getText(),
    },
  });
}

function activate(context) {
  output = vscode.window.createOutputChannel("iamprune");
  context.subscriptions.push(output);
  client = start();
  const selector = EXTENSIONS.map((ext) => ({ scheme: "file", pattern: `**/*${ext}` }));

  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((document) => open(client, document)),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (!checked(event.document) || event.contentChanges.length === 0) {
        return;
      }
      client.notify("textDocument/didChange", {
        textDocument: { uri: event.document.uri.toString(), version: event.document.version },
        contentChanges: [{ text: event.document.getText() }],
      });
    }),
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (checked(document) || document.uri.path.endsWith("/iamprune.toml")) {
        client.notify("textDocument/didSave", { textDocument: { uri: document.uri.toString() } });
      }
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (checked(document)) {
        client.notify("textDocument/didClose", { textDocument: { uri: document.uri.toString() } });
      }
    }),
  );

  // The configuration, the findings and the catalog change on disk: the server reloads them.
  const watcher = vscode.workspace.createFileSystemWatcher(
    "**/{iamprune.toml,*.json,*.jsonl,*.ndjson,*.tf,*.yaml,*.yml,*.template,*.tsv}",
  );
  const changed = (type) => (uri) =>
    client.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri.toString(), type }] });
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate(changed(1)),
    watcher.onDidChange(changed(2)),
    watcher.onDidDelete(changed(3)),
  );

  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(
      selector,
      {
        async provideCodeActions(document, range, context) {
          const only = context.only ? [context.only.value] : undefined;
          const actions = await client.request("textDocument/codeAction", {
            textDocument: { uri: document.uri.toString() },
            range: fromRange(range),
            context: { diagnostics: [], only },
          });
          return (actions ?? []).map((a) => {
            const kind =
              a.kind === "quickfix" ? vscode.CodeActionKind.QuickFix : FIX_ALL;
            const action = new vscode.CodeAction(a.title, kind);
            action.edit = toWorkspaceEdit(a.edit ?? {});
            action.isPreferred = a.isPreferred ?? false;
            if (a.diagnostics) {
              action.diagnostics = context.diagnostics.filter((d) =>
                a.diagnostics.some(
                  (s) =>
                    String(s.code) === String(d.code?.value ?? d.code) &&
                    toRange(s.range).isEqual(d.range),
                ),
              );
            }
            return action;
          });
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL] },
    ),
    vscode.languages.registerHoverProvider(selector, {
      async provideHover(document, position) {
        const hover = await client.request("textDocument/hover", {
          textDocument: { uri: document.uri.toString() },
          position: { line: position.line, character: position.character },
        });
        if (!hover) {
          return null;
        }
        const value = typeof hover.contents === "string" ? hover.contents : hover.contents.value;
        return new vscode.Hover(
          new vscode.MarkdownString(value),
          hover.range ? toRange(hover.range) : undefined,
        );
      },
    }),
    vscode.commands.registerCommand("iamprune.restartServer", async () => {
      await client.stop();
      client = start();
    }),
  );
}

async function deactivate() {
  if (client) {
    await client.stop();
    client = null;
  }
}

module.exports = { activate, deactivate };
