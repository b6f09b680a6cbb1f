import { mount } from "svelte";
import App from "./App.svelte";
import "./styles.css";
import { api } from "./lib/api";
import { createWorkspace } from "./lib/workspace.svelte";

const workspace = createWorkspace(api);
mount(App, { target: document.getElementById("app")!, props: { workspace } });
void workspace.refresh();
