import { mount } from "svelte";
import App from "./App.svelte";
import "./styles.css";
import { api } from "./lib/api";
import { createWorkspace } from "./lib/workspace.svelte";
import { createSettings } from "./lib/settings.svelte";

// Start-up marks (wall clock), logged by the shell with the interactive line so a slow
// start says where its time went.
const marks: [string, number][] = [
  ["navigation", performance.timeOrigin],
  ["script", Date.now()],
];
const workspace = createWorkspace(api);
const settings = createSettings(api);

/** The window is drawn once, with the list and the first document already in it: the
 * few calls that load them take milliseconds, while every drawing of the window in
 * between (an empty shell, then the list, then the editor, then the preview) costs
 * WebKit tens of milliseconds of layout and paint. A load slower than this draws the
 * window anyway and fills it in as the answers come. */
const DRAW_WITHIN_MS = 400;
const loaded = workspace
  .refresh()
  .catch(() => {}) // its errors are in the workspace's state, shown once drawn
  .then(() => void marks.push(["loaded", Date.now()]));
await Promise.race([loaded, new Promise((r) => setTimeout(r, DRAW_WITHIN_MS))]);
mount(App, {
  target: document.getElementById("app")!,
  props: { workspace, settings, onMenu: api.onMenu },
});
marks.push(["mounted", Date.now()]);
void loaded.then(() => {
  requestAnimationFrame(() => {
    marks.push(["painted", Date.now()]);
    void api.uiReady(marks).catch(() => {});
  });
  void workspace.openStartupFiles();
});
