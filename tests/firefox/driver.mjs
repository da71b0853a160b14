// Drives Debian's firefox-esr over WebDriver BiDi (puppeteer-core) for the pytest suite.
//
//   node tests/firefox/driver.mjs [--no-fake-media]
//
// Reads one JSON command per line on stdin and answers each with one JSON line on stdout:
//   {"op": "goto", "url": ...}                      -> {"ok": true}
//   {"op": "wait", "selector": ..., "timeout": ms}  -> {"ok": true}
//   {"op": "click" | "text", "selector": ...}       -> {"ok": true, "value": text for "text"}
//                                                      (null when nothing matches)
//   {"op": "type", "selector": ..., "text": ...}    -> {"ok": true}  (then presses Enter)
//   {"op": "eval", "js": "() => ..."}               -> {"ok": true, "value": result}
//   {"op": "console"}                               -> {"ok": true, "value": [errors so far]}
//   {"op": "close"}                                 -> {"ok": true}, then exits
// Failures answer {"ok": false, "error": message}. No browser is downloaded: the executable
// is Debian's (FIREFOX, default /usr/bin/firefox-esr).
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

const executablePath = process.env.FIREFOX || "/usr/bin/firefox-esr";
const fakeMedia = !process.argv.includes("--no-fake-media");

const prefs = {
  // Autoplay allowed (like Chromium's --autoplay-policy=no-user-gesture-required).
  "media.autoplay.default": 0,
  "media.autoplay.blocking_policy": 0,
  // No network but loopback: no update, telemetry or remote-settings traffic.
  "app.update.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "network.captive-portal-service.enabled": false,
};
if (fakeMedia) {
  // A synthetic microphone (a tone) and no permission prompt.
  prefs["media.navigator.streams.fake"] = true;
  prefs["media.navigator.permission.disabled"] = true;
}

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath,
  headless: true,
  extraPrefsFirefox: prefs,
  defaultViewport: { width: 1400, height: 1000 },
});
const page = await browser.newPage();
const consoleErrors = [];
page.on("console", (msg) => {
  if (msg.type() === "error") consoleErrors.push(msg.text());
});
page.on("pageerror", (err) => consoleErrors.push(String(err?.message ?? err)));

async function handle(cmd) {
  switch (cmd.op) {
    case "goto":
      await page.goto(cmd.url, { waitUntil: "domcontentloaded", timeout: 90_000 });
      return undefined;
    case "wait":
      await page.waitForSelector(cmd.selector, { timeout: cmd.timeout ?? 30_000 });
      return undefined;
    case "click":
      await page.click(cmd.selector);
      return undefined;
    case "type":
      await page.type(cmd.selector, cmd.text);
      await page.keyboard.press("Enter");
      return undefined;
    case "text": {
      const el = await page.$(cmd.selector);
      return el ? await el.evaluate((node) => node.textContent) : null;
    }
    case "eval":
      // The function's source comes from the test suite itself.
      return await page.evaluate(`(${cmd.js})()`);
    case "console":
      return consoleErrors;
    case "close":
      return undefined;
    default:
      throw new Error(`unknown op ${JSON.stringify(cmd.op)}`);
  }
}

const lines = createInterface({ input: process.stdin });
try {
  for await (const line of lines) {
    if (!line.trim()) continue;
    let cmd;
    let reply;
    try {
      cmd = JSON.parse(line);
      reply = { ok: true, value: (await handle(cmd)) ?? null };
    } catch (err) {
      reply = { ok: false, error: String(err?.message ?? err) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    if (cmd?.op === "close") break;
  }
} finally {
  await browser.close();
}
