// Questions that must be answered before something is destroyed: one in-app dialog
// (a real element the window and the tests can see and answer), never the webview's
// `window.confirm`, which under Tauri's dialog plugin returns a Promise — truthy, so
// it "confirmed" every time.

/** One way to go ahead, e.g. "Move to Trash". */
export type Action = {
  id: string;
  label: string;
  /** It destroys something: the button is red (and Cancel has the focus). */
  danger?: boolean;
};

export type Choice = { title: string; body: string; actions: Action[] };

export type Question = {
  title: string;
  body: string;
  /** The button that goes ahead, e.g. "Move to Trash". */
  confirm: string;
  danger: boolean;
};

type Pending = Choice & { id: number; answer: (action: string | null) => void };

export const asking = $state({ current: null as Pending | null });
let asked = 0;

/** Shows `question`; true when the user went ahead, false on Cancel or Escape. */
export async function ask(question: Question): Promise<boolean> {
  const { title, body, confirm, danger } = question;
  return (await choose({ title, body, actions: [{ id: "go", label: confirm, danger }] })) === "go";
}

/** Shows `choice`; the id of the action taken, null on Cancel or Escape. A new
 * question replaces (and declines) one still open. */
export function choose(choice: Choice): Promise<string | null> {
  asking.current?.answer(null);
  return new Promise((resolve) => {
    // Known by its id: the state holds a proxy of the object, never the object itself.
    const id = ++asked;
    asking.current = {
      ...choice,
      id,
      answer: (action) => {
        if (asking.current?.id === id) asking.current = null;
        resolve(action);
      },
    };
  });
}
