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
mount(App, {
  target: document.getElementById("app")!,
  props: { workspace, settings, onMenu: api.onMenu },
});
marks.push(["mounted", Date.now()]);
void workspace.refresh().then(() => {
  marks.push(["loaded", Date.now()]);
  requestAnimationFrame(() => {
    marks.push(["painted", Date.now()]);
    void api.uiReady(marks).catch(() => {});
  });
  void workspace.openStartupFiles();
});
