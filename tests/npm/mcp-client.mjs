// A real MCP client (@modelcontextprotocol/sdk from npm) driving `opendesk mcp` over stdio or streamable HTTP.
// Usage: node mcp-client.mjs --transport stdio|http --home DIR [--target x,y,w,h] [--repeat N] -- <command> [args...]
// The command starts the server (e.g. `dotnet <bin>/opendesk.dll mcp`); for http, `--transport http --port 0` is
// appended and the endpoint is read from the server's stderr. Prints one JSON object on stdout; exit 0 on success.
import { spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
if (sep < 0) throw new Error("missing -- <command>");
const opts = Object.fromEntries(
  argv.slice(0, sep).reduce((acc, a, i, arr) => (a.startsWith("--") ? [...acc, [a.slice(2), arr[i + 1]]] : acc), []),
);
const [command, ...commandArgs] = argv.slice(sep + 1);
const transportKind = opts.transport ?? "stdio";
const repeat = Number(opts.repeat ?? 5);
const out = { transport: transportKind };
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function imageSize(buf, mime) {
  if (mime === "image/png") return { w: buf.readUInt32BE(16), h: buf.readUInt32BE(20) };
  // JPEG: walk the segments to a SOFn marker
  let i = 2;
  while (i < buf.length) {
    if (buf[i] !== 0xff) { i++; continue; }
    const marker = buf[i + 1];
    const len = buf.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { h: buf.readUInt16BE(i + 5), w: buf.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  throw new Error("not a decodable JPEG");
}

function check(cond, message) { if (!cond) throw new Error(message); }

let server;
const t0 = now();
let transport;
if (transportKind === "stdio") {
  transport = new StdioClientTransport({ command, args: [...commandArgs, "--home", opts.home], env: process.env, stderr: "inherit" });
} else {
  server = spawn(command, [...commandArgs, "--home", opts.home, "--transport", "http", "--port", "0"], { stdio: ["ignore", "inherit", "pipe"], env: process.env });
  const url = await new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error("no endpoint on stderr within 20 s: " + buffered)), 20000);
    server.stderr.on("data", (d) => {
      buffered += d.toString();
      process.stderr.write(d);
      const m = buffered.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on("exit", (code) => reject(new Error(`server exited ${code}: ${buffered}`)));
  });
  out.endpoint = url;
  transport = new StreamableHTTPClientTransport(new URL(url));
}

const client = new Client({ name: "opendesk-npm-test", version: "1.0.0" });
try {
  await client.connect(transport);
  out.startToInitializedMs = Math.round(now() - t0);
  out.serverInfo = client.getServerVersion();

  const tools = (await client.listTools()).tools;
  out.tools = tools.map((t) => t.name);
  const mouse = tools.find((t) => t.name === "mouse");
  check(mouse.inputSchema.additionalProperties === false, "mouse schema is closed");
  check(!mouse.inputSchema.required.includes("peer") && mouse.inputSchema.properties.peer.type === "string", "peer optional");

  // Screenshot: text line + decodable image in model space.
  const shotTimes = [];
  let shot;
  for (let i = 0; i < repeat; i++) {
    const s = now();
    shot = await client.callTool({ name: "screenshot", arguments: {} });
    shotTimes.push(now() - s);
  }
  check(!shot.isError, "screenshot failed: " + JSON.stringify(shot.content));
  const text = shot.content.find((c) => c.type === "text").text;
  const image = shot.content.find((c) => c.type === "image");
  check(image, "no image block");
  const size = imageSize(Buffer.from(image.data, "base64"), image.mimeType);
  const m = text.match(/Screenshot (\d+)x(\d+) \((\w+)\) of [^:]+: desktop (\d+)x(\d+) at \((-?\d+), (-?\d+)\)/);
  check(m, "frame line not found: " + text);
  const frame = { w: +m[1], h: +m[2], desktopW: +m[4], desktopH: +m[5], x0: +m[6], y0: +m[7] };
  check(size.w === frame.w && size.h === frame.h, `image ${size.w}x${size.h} differs from the frame line ${frame.w}x${frame.h}`);
  check(Math.max(size.w, size.h) <= 1568 && size.w * size.h <= 1150000, "image within the model budget");
  out.screenshot = { text: text.split("\n")[0], mimeType: image.mimeType, width: size.w, height: size.h, bytes: Buffer.from(image.data, "base64").length, medianMs: +median(shotTimes).toFixed(1), allMs: shotTimes.map((x) => +x.toFixed(1)) };

  // Click the centre of a known target, given in desktop pixels, using image-space coordinates only.
  if (opts.target) {
    const [tx, ty, tw, th] = opts.target.split(",").map(Number);
    const cx = tx + tw / 2, cy = ty + th / 2;
    const ix = Math.round(((cx - frame.x0) * frame.w) / frame.desktopW);
    const iy = Math.round(((cy - frame.y0) * frame.h) / frame.desktopH);
    const s = now();
    const click = await client.callTool({ name: "mouse", arguments: { action: "click", x: ix, y: iy } });
    out.click = { imageX: ix, imageY: iy, text: click.content[0].text, isError: !!click.isError, ms: +(now() - s).toFixed(1) };
    check(!click.isError, "click failed: " + click.content[0].text);
  }

  // Click latency without settle (a harmless move + click on the desktop's corner region is not safe: use move).
  const moveTimes = [];
  for (let i = 0; i < repeat; i++) {
    const s = now();
    const r = await client.callTool({ name: "mouse", arguments: { action: "move", x: 5 + i, y: 5, settle_ms: 0 } });
    check(!r.isError, "move failed");
    moveTimes.push(now() - s);
  }
  out.moveNoSettleMedianMs = +median(moveTimes).toFixed(1);

  // Click latency excluding settle (settle_ms=0), on a desktop point given by --bench-click x,y (desktop = image before
  // any screenshot is not true here: these are image coordinates of the current frame).
  if (opts["bench-click"]) {
    const [bx, by] = opts["bench-click"].split(",").map(Number);
    const clickTimes = [];
    for (let i = 0; i < repeat; i++) {
      const s = now();
      const r = await client.callTool({ name: "mouse", arguments: { action: "click", x: bx, y: by, settle_ms: 0 } });
      check(!r.isError, "click failed");
      clickTimes.push(now() - s);
    }
    out.clickNoSettleMedianMs = +median(clickTimes).toFixed(1);
    const settleTimes = [];
    for (let i = 0; i < Math.min(repeat, 5); i++) {
      const s = now();
      const r = await client.callTool({ name: "mouse", arguments: { action: "click", x: bx, y: by } });
      settleTimes.push(now() - s);
      out.clickWithSettleText = r.content[0].text;
    }
    out.clickWithSettleMedianMs = +median(settleTimes).toFixed(1);
  }

  // An error is a tool result with isError and a message naming the argument.
  const bad = await client.callTool({ name: "mouse", arguments: { action: "fly" } });
  check(bad.isError === true && bad.content[0].text.includes("'action'"), "bad action gives isError naming 'action'");

  console.log(JSON.stringify(out));
} finally {
  await client.close().catch(() => {});
  if (server) server.kill("SIGTERM");
}
