import { mount } from "svelte";
import App from "./App.svelte";
import "./styles.css";
import { api } from "./lib/api";
import { createWorkspace } from "./lib/workspace.svelte";
import { createSettings } from "./lib/settings.svelte";

const workspace = createWorkspace(api);
const settings = createSettings(api);
mount(App, {
  target: document.getElementById("app")!,
  props: { workspace, settings, onMenu: api.onMenu },
});
void workspace.refresh().then(() => {
  requestAnimationFrame(() => void api.uiReady().catch(() => {}));
  void workspace.openStartupFiles();
});
