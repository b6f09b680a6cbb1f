// Questions that must be answered before something is destroyed: one in-app dialog
// (a real element the window and the tests can see and answer), never the webview's
// `window.confirm`, which under Tauri's dialog plugin returns a Promise — truthy, so
// it "confirmed" every time.

export type Question = {
  title: string;
  body: string;
  /** The button that goes ahead, e.g. "Move to Trash". */
  confirm: string;
  /** It destroys something: the button is red and Cancel has the focus. */
  danger: boolean;
};

type Pending = Question & { id: number; answer: (yes: boolean) => void };

export const asking = $state({ current: null as Pending | null });
let asked = 0;

/** Shows `question`; true when the user went ahead, false on Cancel or Escape. A new
 * question replaces (and declines) one still open. */
export function ask(question: Question): Promise<boolean> {
  asking.current?.answer(false);
  return new Promise((resolve) => {
    // Known by its id: the state holds a proxy of the object, never the object itself.
    const id = ++asked;
    asking.current = {
      ...question,
      id,
      answer: (yes) => {
        if (asking.current?.id === id) asking.current = null;
        resolve(yes);
      },
    };
  });
}
