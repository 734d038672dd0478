// How the LangChain example and tests start `opendesk mcp` (stdio).
//
// OPENDESK_COMMAND  an executable to run instead (e.g. "opendesk" once the .NET tool is installed)
// OPENDESK_DLL      path to opendesk.dll (run with `dotnet`)
// otherwise         <repo>/artifacts/bin/OpenDesk.Serve/{release,debug}/opendesk.dll, else `opendesk` on PATH
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The command and leading arguments that start the OpenDesk CLI. */
export function opendeskCommand() {
  if (process.env.OPENDESK_COMMAND) {
    return { command: process.env.OPENDESK_COMMAND, args: [] };
  }
  const candidates = [
    process.env.OPENDESK_DLL,
    join(repo, "artifacts", "bin", "OpenDesk.Serve", "release", "opendesk.dll"),
    join(repo, "artifacts", "bin", "OpenDesk.Serve", "debug", "opendesk.dll"),
  ].filter(Boolean);
  const dll = candidates.find((p) => existsSync(p));
  return dll ? { command: "dotnet", args: [dll] } : { command: "opendesk", args: [] };
}

/**
 * The MultiServerMCPClient entry for `opendesk mcp`.
 * No `env` is passed on purpose: the MCP SDK then gives the server only HOME, LOGNAME, PATH, SHELL, TERM and USER,
 * and `opendesk mcp` finds the display itself ($DISPLAY, else the user's X socket in /tmp/.X11-unix with
 * ~/.Xauthority, else a private Xvfb). Extra arguments (e.g. ["--virtual-display", "--home", dir]) are appended.
 */
export function opendeskServer(extraArgs = []) {
  const { command, args } = opendeskCommand();
  return { transport: "stdio", command, args: [...args, "mcp", ...extraArgs], stderr: "inherit" };
}
